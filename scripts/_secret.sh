# A random SECRET_KEY for this checkout, kept in instance/secret_key (created once, mode 600),
# unless the environment brings one.
if [ -z "${SECRET_KEY:-}" ]; then
  mkdir -p instance
  if [ ! -s instance/secret_key ]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(48))' > instance/secret_key)
  fi
  SECRET_KEY="$(cat instance/secret_key)"
  export SECRET_KEY
fi
