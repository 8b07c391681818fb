"""The models: features, segmentation, churn and its reasons, LTV, BG/NBD, evaluation, retraining, tracking, scoring."""
