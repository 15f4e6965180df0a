"""A small world for the shop tests: a village with a shop, its keeper and committee, households
with points, a product catalogue with stock; and another village with its own shop."""
from types import SimpleNamespace

from app.ledger import rules, services
from app.shop.catalogue import services as catalogue
from tests import factories


def make_shop_world(balance=100):
    """甲村 with 积分超市 (rice 50, oil 40, soap 5), households h1 (balance) and h2 (0); 乙村 too."""
    _city, _county, _township, (home, other) = factories.region_tree()
    shop = factories.shop(home, "甲村积分超市")
    other_shop = factories.shop(other, "乙村积分超市")
    h1 = factories.household(home, head_name="一户")
    h2 = factories.household(home, head_name="二户")
    far = factories.household(other, head_name="外村")
    committee = factories.user("committee", "committee", region_id=home.id)
    other_committee = factories.user("committee2", "committee", region_id=other.id)
    keeper = factories.user("keeper", "shop", shop_id=shop.id)
    other_keeper = factories.user("keeper2", "shop", shop_id=other_shop.id)
    h1_user = factories.user("h1", "household", household_id=h1.id)
    h2_user = factories.user("h2", "household", household_id=h2.id)
    far_user = factories.user("far", "household", household_id=far.id)
    cat = rules.create_category(committee, home.id, "乡风文明")
    rule = rules.create_rule(committee, home.id, cat.id, "A01", "好人好事", balance or 1)
    if balance:
        services.award(committee, [h1.id], rule.id)
    other_cat = rules.create_category(other_committee, other.id, "乡风文明")
    other_rule = rules.create_rule(other_committee, other.id, other_cat.id, "A01", "好人好事", 100)
    services.award(other_committee, [far.id], other_rule.id)
    rice = catalogue.create_product(keeper, shop.id, "大米5kg", 50, "粮油", "袋", low_stock=2)
    oil = catalogue.create_product(keeper, shop.id, "食用油", 40, "粮油", "瓶")
    soap = catalogue.create_product(keeper, shop.id, "肥皂", 5, "日用品", "块")
    catalogue.receive_goods(keeper, rice.id, 10, "village", "镇上采购")
    catalogue.receive_goods(keeper, oil.id, 3, "donation", "爱心企业")
    catalogue.receive_goods(keeper, soap.id, 50, "village")
    far_soap = catalogue.create_product(other_keeper, other_shop.id, "肥皂", 5)
    catalogue.receive_goods(other_keeper, far_soap.id, 10, "village")
    return SimpleNamespace(**locals())
