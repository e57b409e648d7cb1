variable "subscription_id" {
  description = "Subscription to deploy into (the azurerm provider 4.x requires it)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the playbooks, their connections and the automations."
  type        = string
}

variable "location" {
  description = "Azure region of the resource group."
  type        = string
}

variable "playbook_name" {
  description = "Name of the Logic App that mails the owner."
  type        = string
  default     = "Notify-Owner"
}

variable "legacy_playbook_name" {
  description = "Name of the Logic App still on the legacy alert trigger."
  type        = string
  default     = "Isolate-VM-Legacy"
}

variable "mailbox" {
  description = "Mailbox the playbook writes to."
  type        = string
  default     = "secops@contoso.example"
}

variable "deprecated_recommendation_key" {
  description = "Endpoint protection should be installed on your machines"
  type        = string
  default     = "4fb67663-9ab9-475d-b026-8c544cced439"
}
