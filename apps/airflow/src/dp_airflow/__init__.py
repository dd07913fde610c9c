"""The data platform's Airflow runtime: what the runtime offers DAGs beyond Airflow itself."""
