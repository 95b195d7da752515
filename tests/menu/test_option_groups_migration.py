"""t0015: every existing option group becomes a group of the menu attached to its item, at its
rank, with its options and prices; same-named groups are kept apart (renamed after their
item), never merged; downgrade gives each item its own groups back."""

from sqlalchemy import text

from tests.support.menu import api_item


def run_db(app, *args):
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output
    return result


def add_old_group(connection, schema, item_id, name, rank, options) -> str:
    group = connection.scalar(
        text(
            f'INSERT INTO "{schema}".option_groups (menu_item_id, name, min_choices, max_choices, '
            "rank) VALUES (:item, :name, 1, 1, :rank) RETURNING id"
        ),
        {"item": item_id, "name": name, "rank": rank},
    )
    for option_rank, (option, delta) in enumerate(options):
        connection.execute(
            text(
                f'INSERT INTO "{schema}".options (group_id, name, price_delta, rank) '
                "VALUES (:group, :name, :delta, :rank)"
            ),
            {"group": group, "name": option, "delta": delta, "rank": option_rank},
        )
    return str(group)


def add_item(connection, schema, name) -> str:
    return str(
        connection.scalar(
            text(f'INSERT INTO "{schema}".menu_items (name, price) VALUES (:n, 1000) RETURNING id'),
            {"n": name},
        )
    )


def groups_of(client, tenant, name):
    return [
        (group["name"], [(o["name"], o["price_delta"]) for o in group["options"]])
        for group in api_item(client, tenant, name)["option_groups"]
    ]


def test_existing_groups_stay_on_their_items_with_their_prices(app, client, tenant, db_connection):
    schema = tenant.schema_name
    run_db(app, "downgrade", "t0014_media")
    try:
        margherita = add_item(db_connection, schema, "Margherita")
        marinara = add_item(db_connection, schema, "Marinara")
        add_old_group(db_connection, schema, margherita, "Crust", 0, [("Thin", 0)])
        add_old_group(db_connection, schema, margherita, "Size", 1, [("S", 0), ("L", 300)])
        add_old_group(db_connection, schema, marinara, "size", 0, [("S", 0), ("L", 200)])
        db_connection.commit()
    finally:
        run_db(app, "upgrade")

    assert groups_of(client, tenant, "Margherita") == [
        ("Crust", [("Thin", 0)]),
        ("Size (Margherita)", [("S", 0), ("L", 300)]),
    ]
    assert groups_of(client, tenant, "Marinara") == [("size (Marinara)", [("S", 0), ("L", 200)])]
    links = db_connection.scalar(text(f'SELECT count(*) FROM "{schema}".item_option_groups'))
    assert links == 3

    # Shared now: attach Crust to Marinara too, then go back down: each item has its own copy.
    crust = db_connection.scalar(
        text(f"SELECT id FROM \"{schema}\".option_groups WHERE name = 'Crust'")
    )
    db_connection.execute(
        text(
            f'INSERT INTO "{schema}".item_option_groups (menu_item_id, group_id, rank) '
            "VALUES (:item, :group, 1)"
        ),
        {"item": marinara, "group": crust},
    )
    db_connection.commit()
    run_db(app, "downgrade", "t0014_media")
    try:
        rows = db_connection.execute(
            text(
                f'SELECT i.name, g.name, g.rank, array_agg(o.name ORDER BY o.rank) FROM "{schema}"'
                f'.option_groups g JOIN "{schema}".menu_items i ON i.id = g.menu_item_id '
                f'JOIN "{schema}".options o ON o.group_id = g.id GROUP BY 1, 2, 3 ORDER BY 1, 3'
            )
        ).all()
        assert [tuple(row) for row in rows] == [
            ("Margherita", "Crust", 0, ["Thin"]),
            ("Margherita", "Size (Margherita)", 1, ["S", "L"]),
            ("Marinara", "size (Marinara)", 0, ["S", "L"]),
            ("Marinara", "Crust", 1, ["Thin"]),
        ]
    finally:
        db_connection.rollback()
        run_db(app, "upgrade")
