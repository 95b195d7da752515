"""Reading and changing a restaurant's menu (the bound tenant's)."""

from sqlalchemy import select

from omniorder.extensions import db
from omniorder.models import Category, MenuItem


def menu_items() -> list[MenuItem]:
    """Every item of the tenant, sorted by name: one statement."""
    return list(db.session.scalars(select(MenuItem).order_by(MenuItem.name, MenuItem.id)))


def menu_by_category() -> list[tuple[str, list[MenuItem]]]:
    """(category name, items by name) in rank order; uncategorised items come last."""
    categories = db.session.scalars(select(Category).order_by(Category.rank, Category.name)).all()
    by_category: dict = {category.id: [] for category in categories}
    uncategorised = []
    for item in menu_items():
        by_category.get(item.category_id, uncategorised).append(item)
    sections = [(category.name, by_category[category.id]) for category in categories
                if by_category[category.id]]
    if uncategorised:
        sections.append(("More", uncategorised))
    return sections
