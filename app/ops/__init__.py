"""Operations: liveness and readiness."""
