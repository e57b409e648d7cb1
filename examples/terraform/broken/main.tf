# Mail the resource owner about Defender for Cloud alerts and unhealthy recommendations
# (auditor example with planted problems). The Terraform twin of examples/broken/azuredeploy.json
# and examples/bicep/broken/; terraform.tfvars sets the production names, as
# azuredeploy.parameters.json and main.bicepparam do there.

terraform {
  required_version = ">= 1.5"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.0"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}

provider "azapi" {
  subscription_id = var.subscription_id
}

data "azurerm_subscription" "current" {}

locals {
  alert_connection_name = "ascalert-${var.playbook_name}"
  mail_connection_name  = "office365-${var.playbook_name}"
  managed_apis          = "/subscriptions/${var.subscription_id}/providers/Microsoft.Web/locations/${var.location}/managedApis"
  alert_trigger_name    = "When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered"
}

resource "azurerm_api_connection" "alert" {
  name                = local.alert_connection_name
  resource_group_name = var.resource_group_name
  managed_api_id      = "${local.managed_apis}/ascalerts" # planted: LA102, the API is 'ascalert'
  display_name        = local.alert_connection_name
}

resource "azurerm_api_connection" "mail" { # planted: LA106, nobody has signed in to it
  name                = local.mail_connection_name
  resource_group_name = var.resource_group_name
  managed_api_id      = "${local.managed_apis}/office365"
  display_name        = var.mailbox
}

# ---------------------------------------------------------------- the playbook

resource "azurerm_logic_app_workflow" "playbook" {
  name                = var.playbook_name
  location            = var.location
  resource_group_name = var.resource_group_name

  workflow_parameters = {
    "$connections" = jsonencode({
      defaultValue = {}
      type         = "Object"
    })
  }

  parameters = {
    "$connections" = jsonencode({
      ascalerts = { # planted: LA103, the trigger uses 'ascalert'
        connectionId   = azurerm_api_connection.alert.id
        connectionName = azurerm_api_connection.alert.name
        id             = "${local.managed_apis}/ascalerts"
      }
      office365 = {
        connectionId   = azurerm_api_connection.mail.id
        connectionName = azurerm_api_connection.mail.name
        id             = "${local.managed_apis}/office365"
      }
    })
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

resource "azurerm_logic_app_action_custom" "send_an_email" {
  name         = "Send_an_email"
  logic_app_id = azurerm_logic_app_workflow.playbook.id

  body = jsonencode({
    type     = "ApiConnection"
    runAfter = {}
    inputs = {
      host = {
        connection = {
          name = "@parameters('$connections')['office365']['connectionId']"
        }
      }
      method = "post"
      path   = "/v2/Mail"
      body = {
        To      = var.mailbox
        Subject = "Defender for Cloud: @{triggerBody()?['AlertDisplayName']}"
        Body    = "<p>@{triggerBody()?['Description']}</p>"
      }
    }
  })
}

# ---------------------------------------------------------------- a playbook still on the legacy trigger

resource "azurerm_logic_app_workflow" "legacy" {
  name                = var.legacy_playbook_name
  location            = var.location
  resource_group_name = var.resource_group_name

  workflow_parameters = {
    "$connections" = jsonencode({
      defaultValue = {}
      type         = "Object"
    })
  }

  parameters = {
    "$connections" = jsonencode({
      ascalert = {
        connectionId   = azurerm_api_connection.alert.id
        connectionName = azurerm_api_connection.alert.name
        id             = "${local.managed_apis}/ascalert"
      }
    })
  }
}

resource "azurerm_logic_app_trigger_custom" "legacy_alert" {
  name         = "When_a_response_to_a_Microsoft_Defender_for_Cloud_alert_is_triggered" # planted: LA101
  logic_app_id = azurerm_logic_app_workflow.legacy.id

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
      path = "/subscribe"
    }
  })
}

# ---------------------------------------------------------------- the automations

# The azurerm provider has no data source for a trigger's callback URL: the URL of a trigger
# that is not managed here is read with listCallbackUrl through AzAPI.
data "azapi_resource_action" "manual_callback" {
  type                   = "Microsoft.Logic/workflows/triggers@2019-05-01"
  resource_id            = "${azurerm_logic_app_workflow.playbook.id}/triggers/manual" # planted: AUT202, the playbook has no trigger named 'manual'
  action                 = "listCallbackUrl"
  response_export_values = ["value"]
}

resource "azurerm_security_center_automation" "alerts" {
  name                = "notify-owner-alerts"
  location            = var.location
  resource_group_name = var.resource_group_name
  description         = "High and medium alerts to the owner"
  enabled             = true

  scopes = [data.azurerm_subscription.current.id]

  source {
    event_source = "Alerts"
    rule_set { # planted: AUT204, rules of one rule set are AND-ed
      rule {
        property_path  = "Severity"
        property_type  = "String"
        expected_value = "High"
        operator       = "Equals"
      }
      rule {
        property_path  = "Severity"
        property_type  = "String"
        expected_value = "Medium"
        operator       = "Equals"
      }
    }
  }

  action {
    type        = "LogicApp"
    resource_id = azurerm_logic_app_workflow.playbook.id
    trigger_url = data.azapi_resource_action.manual_callback.output.value
  }
}

resource "azurerm_security_center_automation" "endpoint_protection" {
  name                = "notify-owner-endpoint-protection"
  location            = var.location
  resource_group_name = var.resource_group_name
  description         = "Unhealthy endpoint-protection recommendation to the owner"
  enabled             = true

  scopes = [data.azurerm_subscription.current.id]

  source {
    event_source = "Assessments" # planted: AUT203, the playbook's trigger is for alerts
    rule_set {
      rule {
        property_path  = "name"
        property_type  = "String"
        expected_value = var.deprecated_recommendation_key # planted: AUT205
        operator       = "Contains"
      }
      rule {
        property_path  = "properties.status.code"
        property_type  = "String"
        expected_value = "Unhealthy"
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
