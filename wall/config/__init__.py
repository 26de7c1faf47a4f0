"""The wall config: its schema, its small languages (syntax), loading with file:line:col errors."""
