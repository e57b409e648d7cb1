// Notify the SOC channel about high-severity Defender for Cloud alerts (auditor example, clean).
// The Bicep twin of examples/clean/azuredeploy.json: the same playbook, connection and automation.

@description('Name of the Logic App (the playbook).')
param playbookName string = 'Notify-SOC-HighAlerts'

@description('Name of the workflow automation.')
param automationName string = 'soc-high-alerts'

@secure()
@description('Incoming webhook of the SOC channel (kept out of the definition).')
param socWebhookUrl string

param location string = resourceGroup().location

var alertConnectionName = 'ascalert-${playbookName}'
var alertTriggerName = 'When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered'
var ascalertApiId = subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'ascalert')

resource alertConnection 'Microsoft.Web/connections@2016-06-01' = {
  name: alertConnectionName
  location: location
  properties: {
    displayName: alertConnectionName
    api: {
      id: ascalertApiId
    }
  }
}

resource playbook 'Microsoft.Logic/workflows@2019-05-01' = {
  name: playbookName
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    state: 'Enabled'
    definition: {
      '$schema': 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#'
      contentVersion: '1.0.0.0'
      parameters: {
        '$connections': {
          defaultValue: {}
          type: 'Object'
        }
        socWebhookUrl: {
          type: 'SecureString'
        }
      }
      triggers: {
        '${alertTriggerName}': {
          type: 'ApiConnectionWebhook'
          inputs: {
            host: {
              connection: {
                name: '@parameters(\'$connections\')[\'ascalert\'][\'connectionId\']'
              }
            }
            body: {
              callback_url: '@{listCallbackUrl()}'
            }
            path: '/Microsoft.Security/Alert/subscribe'
          }
        }
      }
      actions: {
        Post_to_SOC_channel: {
          type: 'Http'
          runAfter: {}
          inputs: {
            method: 'POST'
            uri: '@parameters(\'socWebhookUrl\')'
            body: {
              text: '@{triggerBody()?[\'AlertDisplayName\']} on @{triggerBody()?[\'CompromisedEntity\']}'
            }
          }
        }
      }
      outputs: {}
    }
    parameters: {
      '$connections': {
        value: {
          ascalert: {
            connectionId: alertConnection.id
            connectionName: alertConnection.name
            id: ascalertApiId
          }
        }
      }
      socWebhookUrl: {
        value: socWebhookUrl
      }
    }
  }
}

resource automation 'Microsoft.Security/automations@2019-01-01-preview' = {
  name: automationName
  location: location
  properties: {
    description: 'Send high-severity alerts to the SOC channel'
    isEnabled: true
    scopes: [
      {
        description: 'scope for subscription ${subscription().subscriptionId}'
        scopePath: subscription().id
      }
    ]
    sources: [
      {
        eventSource: 'Alerts'
        ruleSets: [
          {
            rules: [
              {
                propertyJPath: 'Severity'
                propertyType: 'String'
                expectedValue: 'High'
                operator: 'Equals'
              }
            ]
          }
        ]
      }
    ]
    actions: [
      {
        actionType: 'LogicApp'
        logicAppResourceId: playbook.id
        uri: listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', playbook.name, alertTriggerName), '2019-05-01').value
      }
    ]
  }
}
