-- Run once by the image's entrypoint on an empty data directory.
CREATE DATABASE mlflow;
CREATE DATABASE feast;
CREATE DATABASE airflow;
