// A playbook still on the legacy alert trigger (planted: LA101).

param name string
param location string
param alertConnectionId string
param alertConnectionName string
param ascalertApiId string

resource legacyPlaybook 'Microsoft.Logic/workflows@2019-05-01' = {
  name: name
  location: location
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
      }
      triggers: {
        When_a_response_to_a_Microsoft_Defender_for_Cloud_alert_is_triggered: {
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
            path: '/subscribe'
          }
        }
      }
      actions: {}
      outputs: {}
    }
    parameters: {
      '$connections': {
        value: {
          ascalert: {
            connectionId: alertConnectionId
            connectionName: alertConnectionName
            id: ascalertApiId
          }
        }
      }
    }
  }
}

output id string = legacyPlaybook.id
