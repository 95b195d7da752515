# A random Fernet key that seals restaurants' payment secrets for this checkout, kept in
# instance/encryption_keys (created once, mode 600), unless the environment brings
# OMNIORDER_ENCRYPTION_KEYS. Losing the file loses the stored Stripe secrets (they must be
# entered again); rotate with `flask tenants rotate-secrets` (SECURITY.md).
if [ -z "${OMNIORDER_ENCRYPTION_KEYS:-}" ]; then
  mkdir -p instance
  if [ ! -s instance/encryption_keys ]; then
    (umask 077; python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())' > instance/encryption_keys)
  fi
  OMNIORDER_ENCRYPTION_KEYS="$(cat instance/encryption_keys)"
  export OMNIORDER_ENCRYPTION_KEYS
fi
