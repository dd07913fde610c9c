"""`dp promote`: the challenger becomes the champion only through the gates (`gates`); every
decision is recorded on the MLflow version and in a report (`record`)."""
