"""Metrics: classification (accuracy, precision/recall/F1, confusion) and plots."""
