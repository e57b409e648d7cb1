severities = ["High", "Medium"]
