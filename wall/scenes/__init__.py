"""The scenes stage, between the data and the renderer: what the wall shows, and why (director,
schedule, alert rules), and what every zone shows at an instant (views)."""
