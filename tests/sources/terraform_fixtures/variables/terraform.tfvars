prefix   = "fabrikam"
location = "westeurope"
