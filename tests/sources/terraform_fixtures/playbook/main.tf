# A Defender for Cloud alert playbook and the workflow automation that starts it,
# written the way the azurerm provider needs it: the workflow is an empty shell
# and its trigger is a separate azurerm_logic_app_trigger_custom resource.

terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 3.100"
    }
  }
}

provider "azurerm" {
  features {}
}

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "soc" {
  name     = "rg-soc-automation"
  location = "westeurope"
}

data "azurerm_managed_api" "ascalert" {
  name     = "ascalert"
  location = azurerm_resource_group.soc.location
}

resource "azurerm_api_connection" "ascalert" {
  name                = "ascalert-notify-soc"
  resource_group_name = azurerm_resource_group.soc.name
  managed_api_id      = data.azurerm_managed_api.ascalert.id
  display_name        = "Defender for Cloud alerts"
}

resource "azurerm_logic_app_workflow" "notify" {
  name                = "la-notify-soc"
  location            = azurerm_resource_group.soc.location
  resource_group_name = azurerm_resource_group.soc.name

  workflow_parameters = {
    "$connections" = jsonencode({
      defaultValue = {}
      type         = "Object"
    })
  }

  parameters = {
    "$connections" = jsonencode({
      ascalert = {
        connectionId   = azurerm_api_connection.ascalert.id
        connectionName = azurerm_api_connection.ascalert.name
        id             = data.azurerm_managed_api.ascalert.id
      }
    })
  }
}

resource "azurerm_logic_app_trigger_custom" "alert" {
  name         = "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"
  logic_app_id = azurerm_logic_app_workflow.notify.id

  body = jsonencode({
    type = "ApiConnectionWebhook"
    inputs = {
      body = {
        callback_url = "@{listCallbackUrl()}"
      }
      host = {
        connection = {
          name = "@parameters('$connections')['ascalert']['connectionId']"
        }
      }
      path = "/Microsoft.Security/Alert/subscribe"
    }
  })
}

resource "azurerm_security_center_automation" "alerts" {
  name                = "wa-notify-soc"
  location            = azurerm_resource_group.soc.location
  resource_group_name = azurerm_resource_group.soc.name

  action {
    type        = "logicapp"
    resource_id = azurerm_logic_app_workflow.notify.id
    trigger_url = azurerm_logic_app_trigger_custom.alert.callback_url
  }

  source {
    event_source = "Alerts"
    rule_set {
      rule {
        property_path  = "properties.metadata.severity"
        operator       = "Equals"
        expected_value = "High"
        property_type  = "String"
      }
    }
  }

  scopes = ["/subscriptions/${data.azurerm_client_config.current.subscription_id}"]
}
