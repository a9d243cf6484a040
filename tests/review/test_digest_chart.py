"""The digest's chart (bot/review/digest_chart.py) and the shares it is drawn from."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.review.digest_chart import HEIGHT, LAST, THIS, WIDTH, distribution_png
from bot.review.report import Speed, bucket_shares


def test_cumulative_shares_become_one_share_per_bucket() -> None:
    speed = Speed(9, 60.0, 600.0, (0.4, 0.7, 0.9), 0.05)
    assert bucket_shares(speed) == pytest.approx((0.4, 0.3, 0.2, 0.05, 0.05))
    assert bucket_shares(Speed(0, None, None, (0.0, 0.0, 0.0), 0.0)) == ()


def test_the_tallest_bar_is_this_weeks_within_five_minutes() -> None:
    png = distribution_png((0.8, 0.1, 0.1, 0.0, 0.0), (0.2, 0.2, 0.2, 0.2, 0.2), "Week – test")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    # The first bucket's slot: last week's bar left, this week's right; near the plot's top only
    # this week's 80 % reaches.
    row = [image.getpixel((x, 60)) for x in range(40, 40 + 132)]
    assert THIS in row and LAST not in row
    low = [image.getpixel((x, HEIGHT - 70)) for x in range(40, 40 + 132)]
    assert THIS in low and LAST in low
