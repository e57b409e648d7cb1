# Notify the SOC channel about high-severity Defender for Cloud alerts (auditor example, clean).
# The Terraform twin of examples/clean/azuredeploy.json: the same connection, playbook and automation.
# The azurerm provider builds a Logic App from parts: the workflow is a shell holding the parameters,
# and its trigger and action are resources of their own.

terraform {
  required_version = ">= 1.5"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}

data "azurerm_subscription" "current" {}

data "azurerm_managed_api" "ascalert" {
  name     = "ascalert"
  location = var.location
}

locals {
  alert_connection_name = "ascalert-${var.playbook_name}"
  alert_trigger_name    = "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"
}

resource "azurerm_api_connection" "alert" {
  name                = local.alert_connection_name
  resource_group_name = var.resource_group_name
  managed_api_id      = data.azurerm_managed_api.ascalert.id
  display_name        = local.alert_connection_name
}

resource "azurerm_logic_app_workflow" "playbook" {
  name                = var.playbook_name
  location            = var.location
  resource_group_name = var.resource_group_name
  enabled             = true

  identity {
    type = "SystemAssigned"
  }

  workflow_parameters = {
    "$connections" = jsonencode({
      defaultValue = {}
      type         = "Object"
    })
    socWebhookUrl = jsonencode({
      type = "SecureString"
    })
  }

  parameters = {
    "$connections" = jsonencode({
      ascalert = {
        connectionId   = azurerm_api_connection.alert.id
        connectionName = azurerm_api_connection.alert.name
        id             = data.azurerm_managed_api.ascalert.id
      }
    })
    socWebhookUrl = var.soc_webhook_url
  }
}

resource "azurerm_logic_app_trigger_custom" "alert" {
  name         = local.alert_trigger_name
  logic_app_id = azurerm_logic_app_workflow.playbook.id

  body = jsonencode({
    type = "ApiConnectionWebhook"
    inputs = {
      host = {
        connection = {
          name = "@parameters('$connections')['ascalert']['connectionId']"
        }
      }
      body = {
        callback_url = "@{listCallbackUrl()}"
      }
      path = "/Microsoft.Security/Alert/subscribe"
    }
  })
}

resource "azurerm_logic_app_action_http" "post_to_soc_channel" {
  name         = "Post_to_SOC_channel"
  logic_app_id = azurerm_logic_app_workflow.playbook.id
  method       = "POST"
  uri          = "@parameters('socWebhookUrl')"
  body = jsonencode({
    text = "@{triggerBody()?['AlertDisplayName']} on @{triggerBody()?['CompromisedEntity']}"
  })
}

resource "azurerm_security_center_automation" "soc_high_alerts" {
  name                = var.automation_name
  location            = var.location
  resource_group_name = var.resource_group_name
  description         = "Send high-severity alerts to the SOC channel"
  enabled             = true

  scopes = [data.azurerm_subscription.current.id]

  source {
    event_source = "Alerts"
    rule_set {
      rule {
        property_path  = "Severity"
        property_type  = "String"
        expected_value = "High"
        operator       = "Equals"
      }
    }
  }

  action {
    type        = "LogicApp"
    resource_id = azurerm_logic_app_workflow.playbook.id
    trigger_url = azurerm_logic_app_trigger_custom.alert.callback_url
  }
}
