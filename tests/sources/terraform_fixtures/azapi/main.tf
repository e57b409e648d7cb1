# The same playbook written with the AzAPI provider: ARM bodies, as in a template.

resource "azurerm_resource_group" "soc" {
  name     = "rg-soc-azapi"
  location = "northeurope"
}

resource "azapi_resource" "ascassessment" {
  type      = "Microsoft.Web/connections@2016-06-01"
  name      = "ascassessment"
  parent_id = azurerm_resource_group.soc.id
  location  = azurerm_resource_group.soc.location

  body = jsonencode({
    properties = {
      displayName = "Defender for Cloud recommendations"
      api = {
        id = "/subscriptions/${var.subscription_id}/providers/Microsoft.Web/locations/northeurope/managedApis/ascassessment"
      }
    }
  })
}

resource "azapi_resource" "playbook" {
  type      = "Microsoft.Logic/workflows@2019-05-01"
  name      = "la-remediate-storage"
  parent_id = azurerm_resource_group.soc.id
  location  = azurerm_resource_group.soc.location

  identity {
    type = "SystemAssigned"
  }

  body = {
    properties = {
      state = "Enabled"
      definition = {
        "$schema"      = "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#"
        contentVersion = "1.0.0.0"
        parameters = {
          "$connections" = { type = "Object", defaultValue = {} }
        }
        triggers = {
          When_a_Microsoft_Defender_for_Cloud_recommendation_is_created_or_triggered = {
            type = "ApiConnectionWebhook"
            inputs = {
              body = { callback_url = "@{listCallbackUrl()}" }
              host = {
                connection = { name = "@parameters('$connections')['ascassessment']['connectionId']" }
              }
              path = "/Microsoft.Security/Assessment/subscribe"
            }
          }
        }
        actions = {}
      }
      parameters = {
        "$connections" = {
          value = {
            ascassessment = {
              connectionId   = azapi_resource.ascassessment.id
              connectionName = azapi_resource.ascassessment.name
              id             = "/subscriptions/${var.subscription_id}/providers/Microsoft.Web/locations/northeurope/managedApis/ascassessment"
            }
          }
        }
      }
    }
  }
}

data "azapi_resource_action" "callback" {
  type                   = "Microsoft.Logic/workflows/triggers@2019-05-01"
  resource_id            = "${azapi_resource.playbook.id}/triggers/When_a_Microsoft_Defender_for_Cloud_recommendation_is_created_or_triggered"
  action                 = "listCallbackUrl"
  response_export_values = ["value"]
}

resource "azapi_resource" "automation" {
  type      = "Microsoft.Security/automations@2023-12-01-preview"
  name      = "wa-remediate-storage"
  parent_id = azurerm_resource_group.soc.id
  location  = azurerm_resource_group.soc.location

  body = jsonencode({
    properties = {
      isEnabled = true
      scopes    = [{ description = "subscription", scopePath = "/subscriptions/${var.subscription_id}" }]
      sources = [{
        eventSource = "Assessments"
        ruleSets = [{
          rules = [{
            propertyJPath = "properties.status.code"
            propertyType  = "String"
            expectedValue = "Unhealthy"
            operator      = "Equals"
          }]
        }]
      }]
      actions = [{
        actionType         = "LogicApp"
        logicAppResourceId = azapi_resource.playbook.id
        uri                = jsondecode(data.azapi_resource_action.callback.output).value
      }]
    }
  })
}

variable "subscription_id" {
  type = string
}
