"""Schema-per-tenant core: names, the cached registry, per-request binding, provisioning and
migrations across tenants."""
