"""Demos that drive the data, training and evaluation packages together.

This package sits above ``crossthink_data``, ``crossthink_train`` and ``crossthink_eval``: it may
import all three, and none of them imports it (tests/project/test_architecture.py checks both).
"""
