locals {
  rg_name = "rg-${var.prefix}-secops"
  connectors = {
    recommendations = "ascassessment"
    mail            = "office365"
  }
}

data "azurerm_managed_api" "connector" {
  for_each = local.connectors
  name     = each.value
  location = var.location
}

resource "azurerm_resource_group" "secops" {
  name     = local.rg_name
  location = var.location
}

resource "azurerm_api_connection" "connector" {
  for_each            = local.connectors
  name                = "${each.value}-${var.prefix}"
  resource_group_name = azurerm_resource_group.secops.name
  managed_api_id      = data.azurerm_managed_api.connector[each.key].id
}

resource "azurerm_logic_app_workflow" "remediate" {
  name                = "la-${var.prefix}-remediate"
  location            = var.location
  resource_group_name = azurerm_resource_group.secops.name

  identity {
    type = "SystemAssigned"
  }

  workflow_parameters = {
    "$connections" = jsonencode({ type = "Object", defaultValue = {} })
  }

  parameters = {
    "$connections" = <<-JSON
      {
        "ascassessment": {
          "connectionId": "${azurerm_api_connection.connector["recommendations"].id}",
          "connectionName": "${azurerm_api_connection.connector["recommendations"].name}",
          "id": "${data.azurerm_managed_api.connector["recommendations"].id}"
        },
        "office365": {
          "connectionId": "${azurerm_api_connection.connector["mail"].id}",
          "connectionName": "office365-${var.prefix}",
          "id": "${data.azurerm_managed_api.connector["mail"].id}"
        }
      }
    JSON
  }
}

resource "azurerm_logic_app_trigger_custom" "recommendation" {
  name         = var.recommendation_trigger_name
  logic_app_id = azurerm_logic_app_workflow.remediate.id

  body = <<-BODY
    {
      "type": "ApiConnectionWebhook",
      "inputs": {
        "body": {
          "callback_url": "@{listCallbackUrl()}"
        },
        "host": {
          "connection": {
            "name": "@parameters('$connections')['ascassessment']['connectionId']"
          }
        },
        "path": "/Microsoft.Security/Assessment/subscribe"
      }
    }
  BODY
}

resource "azurerm_logic_app_action_custom" "mail" {
  name         = "Send_an_email_(V2)"
  logic_app_id = azurerm_logic_app_workflow.remediate.id

  body = jsonencode({
    type = "ApiConnection"
    inputs = {
      host = {
        connection = {
          name = "@parameters('$connections')['office365']['connectionId']"
        }
      }
      method = "post"
      path   = "/v2/Mail"
      body = {
        To      = var.soc_mailbox
        Subject = "Defender for Cloud recommendation: @{triggerBody()?['properties']?['displayName']}"
      }
    }
    runAfter = {}
  })
}

resource "azurerm_security_center_automation" "recommendations" {
  name                = "wa-${var.prefix}-recommendations"
  location            = var.location
  resource_group_name = azurerm_resource_group.secops.name

  action {
    type        = "LogicApp"
    resource_id = azurerm_logic_app_workflow.remediate.id
    trigger_url = azurerm_logic_app_trigger_custom.recommendation.callback_url
  }

  source {
    event_source = "Assessments"

    dynamic "rule_set" {
      for_each = var.severities
      content {
        rule {
          property_path  = "properties.metadata.severity"
          operator       = "Equals"
          expected_value = rule_set.value
          property_type  = "String"
        }
      }
    }
  }

  scopes = [for id in var.subscription_ids : "/subscriptions/${id}"]
}

resource "azurerm_role_assignment" "remediate" {
  count                = length(var.subscription_ids)
  scope                = "/subscriptions/${var.subscription_ids[count.index]}"
  role_definition_name = "Contributor"
  principal_id         = azurerm_logic_app_workflow.remediate.identity[0].principal_id
}
