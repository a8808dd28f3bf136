"""Synthetic magnetometer surveys with ground truth."""
