// Mail the resource owner about Defender for Cloud alerts and unhealthy recommendations
// (auditor example with planted problems). The Bicep twin of examples/broken/azuredeploy.json;
// main.bicepparam beside it sets the production names, as azuredeploy.parameters.json does there.

param playbookName string = 'Notify-Owner'
param legacyPlaybookName string = 'Isolate-VM-Legacy'
param mailbox string = 'secops@contoso.example'
param location string = resourceGroup().location

@description('Endpoint protection should be installed on your machines')
param deprecatedRecommendationKey string = '4fb67663-9ab9-475d-b026-8c544cced439'

var alertConnectionName = 'ascalert-${playbookName}'
var mailConnectionName = 'office365-${playbookName}'
var managedApis = '${subscription().id}/providers/Microsoft.Web/locations/${location}/managedApis/'

resource alertConnection 'Microsoft.Web/connections@2016-06-01' = {
  name: alertConnectionName
  location: location
  properties: {
    displayName: alertConnectionName
    api: {
      id: '${managedApis}ascalerts' // planted: LA102, the API is 'ascalert'
    }
  }
}

resource mailConnection 'Microsoft.Web/connections@2016-06-01' = {
  name: mailConnectionName
  location: location
  properties: {
    displayName: mailbox
    api: {
      id: '${managedApis}office365'
    }
  }
}

resource playbook 'Microsoft.Logic/workflows@2019-05-01' = {
  name: playbookName
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
        When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered: {
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
        Send_an_email: {
          type: 'ApiConnection'
          runAfter: {}
          inputs: {
            host: {
              connection: {
                name: '@parameters(\'$connections\')[\'office365\'][\'connectionId\']'
              }
            }
            method: 'post'
            path: '/v2/Mail'
            body: {
              To: mailbox
              Subject: 'Defender for Cloud: @{triggerBody()?[\'AlertDisplayName\']}'
              Body: '<p>@{triggerBody()?[\'Description\']}</p>'
            }
          }
        }
      }
      outputs: {}
    }
    parameters: {
      '$connections': {
        value: {
          ascalerts: { // planted: LA103, the trigger uses 'ascalert'
            connectionId: alertConnection.id
            connectionName: alertConnection.name
            id: '${managedApis}ascalerts'
          }
          office365: {
            connectionId: mailConnection.id
            connectionName: mailConnection.name
            id: '${managedApis}office365'
          }
        }
      }
    }
  }
}

module legacy 'modules/legacy-playbook.bicep' = {
  name: 'legacy-playbook'
  params: {
    name: legacyPlaybookName
    location: location
    alertConnectionId: alertConnection.id
    alertConnectionName: alertConnection.name
    ascalertApiId: '${managedApis}ascalert'
  }
}

resource alertsAutomation 'Microsoft.Security/automations@2019-01-01-preview' = {
  name: 'notify-owner-alerts'
  location: location
  properties: {
    description: 'High and medium alerts to the owner'
    isEnabled: true
    scopes: [
      {
        description: 'whole subscription'
        scopePath: subscription().id
      }
    ]
    sources: [
      {
        eventSource: 'Alerts'
        ruleSets: [
          {
            rules: [ // planted: AUT204, rules of one rule set are AND-ed
              {
                propertyJPath: 'Severity'
                propertyType: 'String'
                expectedValue: 'High'
                operator: 'Equals'
              }
              {
                propertyJPath: 'Severity'
                propertyType: 'String'
                expectedValue: 'Medium'
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
        // planted: AUT202, the playbook has no trigger named 'manual'
        uri: listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', playbookName, 'manual'), '2019-05-01').value
      }
    ]
  }
}

resource recommendationsAutomation 'Microsoft.Security/automations@2019-01-01-preview' = {
  name: 'notify-owner-endpoint-protection'
  location: location
  properties: {
    description: 'Unhealthy endpoint-protection recommendation to the owner'
    isEnabled: true
    scopes: [
      {
        description: 'whole subscription'
        scopePath: subscription().id
      }
    ]
    sources: [
      {
        eventSource: 'Assessments' // planted: AUT203, the playbook's trigger is for alerts
        ruleSets: [
          {
            rules: [
              {
                propertyJPath: 'name'
                propertyType: 'String'
                expectedValue: deprecatedRecommendationKey // planted: AUT205
                operator: 'Contains'
              }
              {
                propertyJPath: 'properties.status.code'
                propertyType: 'String'
                expectedValue: 'Unhealthy'
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
        uri: listCallbackUrl(resourceId('Microsoft.Logic/workflows/triggers', playbook.name, 'When_a_Microsoft_Defender_for_Cloud_alert_is_created_or_triggered'), '2019-05-01').value
      }
    ]
  }
}
