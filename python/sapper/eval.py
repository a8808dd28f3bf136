"""Scoring alarms against ground truth the way demining trials do."""
