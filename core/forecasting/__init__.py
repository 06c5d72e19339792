"""Forecasting chaos: the model families, the experiment (split, fit, score), tuning, the store of
trained models, the shipped checkpoints, the catalog sweep and the Forecast tab's live job."""
