"""Colours and sizes shared by every renderer (matplotlib, plotly, the web page)."""

CLASS_COLORS = [
    "#d62728",
    "#1f77b4",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]  # class A red, class B blue, as in the essay
REGION_COLORS = ["#f3b4b4", "#b4d0ee"]  # light versions of the first two, behind the data
GRID_COLOR = "#8a8a8a"
SEPARATOR_COLOR = "#111111"


def class_color(label: int) -> str:
    return CLASS_COLORS[int(label) % len(CLASS_COLORS)]
