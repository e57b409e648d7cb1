variable "prefix" {
  description = "Short name used in every resource name."
  type        = string
  default     = "contoso"
}

variable "location" {
  description = "Azure region (set in terraform.tfvars)."
  type        = string
}

variable "severities" {
  description = "Recommendation severities that start the playbook (one rule set each)."
  type        = list(string)
  default     = ["High"]
}

variable "recommendation_trigger_name" {
  type    = string
  default = "When_a_Microsoft_Defender_for_Cloud_recommendation_is_created_or_triggered"
}

variable "subscription_ids" {
  description = "Subscriptions the automation listens on (no default: passed with -var)."
  type        = list(string)
}

variable "soc_mailbox" {
  type      = string
  sensitive = true
}
