"""Extension singletons, bound to the app in `create_app`."""

from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from omniorder.tenancy.bind import TenantBoundSession


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base, session_options={"class_": TenantBoundSession})
csrf = CSRFProtect()
