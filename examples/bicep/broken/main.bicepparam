using './main.bicep'

param playbookName = 'Notify-Owner-Prod'
param mailbox = 'secops@contoso.example'
