variable "subscription_id" {
  description = "Subscription to deploy into (the azurerm provider 4.x requires it)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the playbook, its connection and the automation."
  type        = string
}

variable "location" {
  description = "Azure region of the resource group."
  type        = string
}

variable "playbook_name" {
  description = "Name of the Logic App (the playbook)."
  type        = string
  default     = "Notify-SOC-HighAlerts"
}

variable "automation_name" {
  description = "Name of the workflow automation."
  type        = string
  default     = "soc-high-alerts"
}

variable "soc_webhook_url" {
  description = "Incoming webhook of the SOC channel (kept out of the definition; pass it with TF_VAR_soc_webhook_url)."
  type        = string
  sensitive   = true
}
