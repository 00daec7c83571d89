"""Pure data and Kubernetes arithmetic. No I/O here."""
