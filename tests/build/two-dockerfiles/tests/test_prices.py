from prices import newest


def test_newest_orders_versions_numerically():
    assert newest(["1.2.0", "1.10.0", "1.9.3"]) == "1.10.0"


def test_release_beats_its_candidate():
    assert newest(["2.0.0rc1", "2.0.0"]) == "2.0.0"
