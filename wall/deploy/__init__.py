"""Deploying a wall as a service: the systemd unit for a kiosk, and the sd_notify protocol it speaks."""
