# A custom DINE policy that deploys workflow automation, and its assignment.

resource "azurerm_policy_definition" "workflow_automation" {
  name         = "deploy-wa-recommendations"
  policy_type  = "Custom"
  mode         = "All"
  display_name = "Deploy workflow automation for Defender recommendations"

  parameters = jsonencode({
    effect = {
      type          = "String"
      defaultValue  = "DeployIfNotExists"
      allowedValues = ["DeployIfNotExists", "Disabled"]
    }
    logicAppResourceId = { type = "String" }
  })

  policy_rule = <<POLICY
{
  "if": {
    "field": "type",
    "equals": "Microsoft.Resources/subscriptions"
  },
  "then": {
    "effect": "[parameters('effect')]",
    "details": {
      "type": "Microsoft.Security/automations",
      "name": "wa-recommendations",
      "existenceScope": "subscription",
      "roleDefinitionIds": [
        "/providers/Microsoft.Authorization/roleDefinitions/f1a07417-d97a-45cb-824c-7a7467783830"
      ],
      "deploymentScope": "subscription",
      "deployment": {
        "location": "${var.location}",
        "properties": {
          "mode": "incremental",
          "parameters": {
            "logicAppResourceId": { "value": "[parameters('logicAppResourceId')]" }
          },
          "template": {
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": { "logicAppResourceId": { "type": "string" } },
            "resources": [
              {
                "type": "Microsoft.Security/automations",
                "apiVersion": "2019-01-01-preview",
                "name": "wa-recommendations",
                "location": "${var.location}",
                "properties": {
                  "isEnabled": true,
                  "scopes": [ { "scopePath": "[subscription().id]" } ],
                  "sources": [ { "eventSource": "Assessments" } ],
                  "actions": [
                    {
                      "actionType": "LogicApp",
                      "logicAppResourceId": "[parameters('logicAppResourceId')]",
                      "uri": "[listCallbackUrl(concat(parameters('logicAppResourceId'), '/triggers/manual'), '2019-05-01').value]"
                    }
                  ]
                }
              }
            ]
          }
        }
      }
    }
  }
}
POLICY
}

resource "azurerm_subscription_policy_assignment" "workflow_automation" {
  name                 = "deploy-wa-recommendations"
  policy_definition_id = azurerm_policy_definition.workflow_automation.id
  subscription_id      = "/subscriptions/${var.subscription_id}"
  location             = var.location

  identity {
    type = "SystemAssigned"
  }

  parameters = jsonencode({
    logicAppResourceId = { value = var.logic_app_id }
  })
}

resource "azurerm_logic_app_workflow" "remediate" {
  name                = "la-remediate"
  location            = var.location
  resource_group_name = "rg-soc"
}

resource "azurerm_logic_app_trigger_http_request" "manual" {
  name         = "manual"
  logic_app_id = azurerm_logic_app_workflow.remediate.id
  schema       = jsonencode({ type = "object", properties = {} })
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "subscription_id" {
  type = string
}

variable "logic_app_id" {
  type    = string
  default = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-soc/providers/Microsoft.Logic/workflows/la-remediate"
}
