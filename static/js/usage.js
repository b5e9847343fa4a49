// The Usage page's chart: draws the series from the json_script data with the vendored Chart.js.
// Without JavaScript (or Chart.js) the table below the chart is the whole story.
(function () {
  const canvas = document.getElementById("usage-chart");
  const source = document.getElementById("usage-chart-data");
  if (!canvas || !source || typeof window.Chart === "undefined") return;

  const data = JSON.parse(source.textContent);
  const style = getComputedStyle(document.documentElement);
  const color = (name) => style.getPropertyValue(name).trim();
  const usd = (micros) => "$" + (micros / 1e6).toLocaleString(undefined, {
    minimumFractionDigits: 2, maximumFractionDigits: micros && Math.abs(micros) < 10000 ? 6 : 2,
  });
  const metrics = {
    requests: { label: "Requests", format: (v) => v.toLocaleString() },
    tokens: { label: "Tokens (input + output)", format: (v) => v.toLocaleString() },
    cost_micros: { label: "Spend (USD)", format: usd },
  };

  let current = "requests";
  canvas.closest(".chart-box").hidden = false;
  const table = document.querySelector(".chart-table");
  if (table) table.open = false;

  const chart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{
        label: metrics.requests.label,
        data: data.requests,
        backgroundColor: color("--primary"),
        borderRadius: 3,
      }],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => metrics[current].format(item.raw) } },
      },
      scales: {
        x: { ticks: { color: color("--muted"), maxRotation: 0, autoSkip: true } },
        y: {
          beginAtZero: true,
          ticks: { color: color("--muted"), callback: (value) => metrics[current].format(value) },
          grid: { color: color("--border") },
        },
      },
    },
  });

  const switcher = document.querySelector(".metric-switch");
  if (!switcher) return;
  switcher.hidden = false;
  switcher.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-metric]");
    if (!button) return;
    const metric = button.dataset.metric;
    current = metric;
    chart.data.datasets[0].label = metrics[metric].label;
    chart.data.datasets[0].data = data[metric];
    chart.update();
    switcher.querySelectorAll("button").forEach((other) => {
      const active = other === button;
      other.setAttribute("aria-pressed", String(active));
      other.classList.toggle("secondary", !active);
    });
  });
})();
