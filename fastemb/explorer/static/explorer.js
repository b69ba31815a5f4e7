// The explorer page: each panel asks the JSON API and draws the answer.
// Every asset comes from the app itself (Plotly included), so it works offline.
"use strict";

const $ = (id) => document.getElementById(id);
const plotConfig = { displaylogo: false, responsive: true };
let info = null;

async function ask(path, params) {
  const url = path + "?" + new URLSearchParams(params).toString();
  let response;
  try {
    response = await fetch(url);
  } catch (exc) {
    throw new Error("the explorer's server does not answer (was it stopped?)");
  }
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function showError(panel, message) {
  $(panel + "-error").textContent = message || "";
}

function fillTable(table, rows, cells) {
  const body = $(table).querySelector("tbody");
  body.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const [value, className, onClick] of cells(row)) {
      const td = document.createElement("td");
      if (className) td.className = className;
      if (onClick) {
        const link = document.createElement("a");
        link.textContent = value;
        link.addEventListener("click", onClick);
        td.appendChild(link);
      } else {
        td.textContent = value;
      }
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function wordCells(row) {
  return [[row.word, "word", () => searchWord(row.word)], [row.score.toFixed(4), "score"]];
}

// ---------------------------------------------------------------- tabs
function showPanel(id) {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("active", button.dataset.panel === id);
  }
  for (const panel of document.querySelectorAll(".panel")) {
    panel.classList.toggle("active", panel.id === id);
  }
  if (id === "map-panel" && !$("map").dataset.drawn) drawMap();
}

// ---------------------------------------------------------- neighbours
function searchWord(word) {
  $("word").value = word;
  showPanel("neighbours-panel");
  neighbours();
}

async function neighbours() {
  showError("neighbours", "");
  $("neighbours-note").textContent = "";
  try {
    const answer = await ask("/api/neighbours", { word: $("word").value, topn: $("topn").value });
    if (!answer.in_vocabulary) {
      $("neighbours-note").textContent =
        `“${answer.word}” is not in the vocabulary: its vector is built from its character n-grams.`;
    }
    fillTable("neighbours", answer.neighbours, wordCells);
    drawGraph(answer.graph);
  } catch (exc) {
    fillTable("neighbours", [], wordCells);
    Plotly.purge("neighbour-graph");
    showError("neighbours", exc.message);
  }
}

function drawGraph(graph) {
  const x = [], y = [];
  for (const edge of graph.edges) {
    const a = graph.nodes[edge.source], b = graph.nodes[edge.target];
    x.push(a.x, b.x, null);
    y.push(a.y, b.y, null);
  }
  const edges = { x, y, mode: "lines", type: "scatter", hoverinfo: "skip",
                  line: { color: "#b8c0cc", width: 1 } };
  const nodes = {
    x: graph.nodes.map((n) => n.x), y: graph.nodes.map((n) => n.y),
    text: graph.nodes.map((n) => n.word), mode: "markers+text", type: "scatter",
    textposition: "top center", hoverinfo: "text",
    marker: { size: graph.nodes.map((_, i) => (i === 0 ? 16 : 9)),
              color: graph.nodes.map((_, i) => (i === 0 ? "#d9480f" : "#1f5fbf")) },
  };
  Plotly.react("neighbour-graph", [edges, nodes], {
    showlegend: false, margin: { l: 10, r: 10, t: 10, b: 10 },
    xaxis: { visible: false }, yaxis: { visible: false },
  }, plotConfig);
  $("neighbour-graph").onclick = null;
  $("neighbour-graph").on("plotly_click", (event) => {
    const word = event.points[0].text;
    if (word) searchWord(word);
  });
}

// ---------------------------------------------------------- arithmetic
async function arithmetic() {
  showError("arithmetic", "");
  try {
    const answer = await ask("/api/analogy", { expr: $("expr").value, topn: 10 });
    fillTable("analogy-results", answer.neighbours, wordCells);
  } catch (exc) {
    fillTable("analogy-results", [], wordCells);
    showError("arithmetic", exc.message);
  }
}

// ----------------------------------------------------------------- map
let mapPoll = null;

async function drawMap() {
  showError("map", "");
  clearTimeout(mapPoll);
  const params = { method: $("map-method").value, dims: $("map-dims").value,
                   color: $("map-color").value };
  let answer;
  try {
    answer = await ask("/api/map", params);
  } catch (exc) {
    showError("map", exc.message);
    return;
  }
  if (answer.status === "running") {
    $("map-status").textContent =
      `computing the ${answer.method} map of ${info.map_words.toLocaleString()} words… ` +
      `${answer.seconds.toFixed(0)} s`;
    mapPoll = setTimeout(drawMap, 1000);
    return;
  }
  if (answer.status === "failed") {
    $("map-status").textContent = "";
    showError("map", `the ${answer.method} map failed: ${answer.error}`);
    return;
  }
  $("map-status").textContent =
    `${answer.words.length.toLocaleString()} words, ${answer.method.toUpperCase()}` +
    (answer.seconds ? ` (${answer.seconds.toFixed(1)} s)` : "");
  plotMap(answer);
}

function plotMap(answer) {
  const groups = new Map();
  answer.words.forEach((word, i) => {
    const group = answer.groups[i];
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(i);
  });
  const three = answer.dims === 3;
  const traces = [];
  const names = [...groups.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  for (const group of names) {
    const members = groups.get(group);
    const trace = {
      name: group, text: members.map((i) => answer.words[i]), hoverinfo: "text",
      mode: "markers", type: three ? "scatter3d" : "scattergl",
      x: members.map((i) => answer.coordinates[0][i]),
      y: members.map((i) => answer.coordinates[1][i]),
      marker: { size: three ? 2 : 4, opacity: 0.8 },
    };
    if (three) trace.z = members.map((i) => answer.coordinates[2][i]);
    traces.push(trace);
  }
  const layout = { margin: { l: 10, r: 10, t: 10, b: 10 }, dragmode: three ? "orbit" : "zoom",
                   legend: { itemsizing: "constant" }, hovermode: "closest" };
  if (!three) {
    layout.xaxis = { zeroline: false, showticklabels: false };
    layout.yaxis = { zeroline: false, showticklabels: false };
  }
  Plotly.react("map", traces, layout, { ...plotConfig, scrollZoom: true });
  $("map").dataset.drawn = "1";
  $("map").removeAllListeners?.("plotly_selected");
  $("map").on("plotly_selected", (event) => {
    const words = event ? event.points.map((p) => p.text) : [];
    listSelection(words);
  });
}

function listSelection(words) {
  const box = $("selection");
  box.replaceChildren();
  if (!words.length) return;
  const title = document.createElement("p");
  title.textContent = `${words.length.toLocaleString()} words selected`;
  box.appendChild(title);
  const list = document.createElement("p");
  list.textContent = words.slice(0, 1000).join(", ") + (words.length > 1000 ? ", …" : "");
  box.appendChild(list);
}

// ------------------------------------------------------------- compare
async function compare() {
  showError("compare", "");
  $("compare-summary").textContent = "";
  const results = $("compare-results");
  results.replaceChildren();
  try {
    const answer = await ask("/api/compare", { word: $("compare-word").value, topn: 10 });
    const parts = [];
    if (answer.moved !== null) parts.push(`moved ${answer.moved.toFixed(3)} (1 − cosine)`);
    if (answer.shared !== null) parts.push(`${answer.shared.length} neighbours shared`);
    $("compare-summary").textContent = parts.join("; ");
    for (const side of answer.models) {
      const column = document.createElement("div");
      const heading = document.createElement("h3");
      heading.textContent = side.name;
      column.appendChild(heading);
      if (side.neighbours === null) {
        const note = document.createElement("p");
        note.textContent = side.error;
        column.appendChild(note);
      } else {
        const table = document.createElement("table");
        for (const row of side.neighbours) {
          const tr = table.insertRow();
          tr.insertCell().textContent = row.word;
          const score = tr.insertCell();
          score.textContent = row.score.toFixed(4);
          score.className = "score";
          if (answer.shared && answer.shared.includes(row.word)) tr.style.fontWeight = "600";
        }
        column.appendChild(table);
      }
      results.appendChild(column);
    }
  } catch (exc) {
    showError("compare", exc.message);
  }
}

// ------------------------------------------------------------ classify
async function classify() {
  showError("classify", "");
  try {
    const answer = await ask("/api/predict", { text: $("predict-text").value,
                                               k: $("predict-k").value });
    fillTable("predict-results", answer.labels,
              (row) => [[row.label], [row.probability.toFixed(4), "score"]]);
  } catch (exc) {
    fillTable("predict-results", [], () => []);
    showError("classify", exc.message);
  }
}

// ----------------------------------------------------------------- start
function onSubmit(form, handler) {
  $(form).addEventListener("submit", (event) => {
    event.preventDefault();
    handler();
  });
}

async function start() {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => showPanel(button.dataset.panel));
  }
  onSubmit("neighbours-form", neighbours);
  onSubmit("arithmetic-form", arithmetic);
  onSubmit("map-form", drawMap);
  onSubmit("compare-form", compare);
  onSubmit("classify-form", classify);
  try {
    info = await ask("/api/info", {});
  } catch (exc) {
    $("model-info").textContent = exc.message;
    return;
  }
  $("model-info").textContent =
    `${info.name}: ${info.words.toLocaleString()} words, ${info.dimensions} dimensions` +
    (info.subwords ? ", unseen words from n-grams" : "") +
    (info.other ? ` · compared with ${info.other.name}` : "");
  $("compare-tab").hidden = !info.other;
  $("classify-tab").hidden = !info.classifier;
  const names = { pca: "PCA", tsne: "t-SNE", umap: "UMAP" };
  for (const method of info.map_methods) {
    $("map-method").add(new Option(names[method] || method, method));
  }
  for (const column of info.metadata) $("map-color").add(new Option(column, column));
  document.body.dataset.ready = "1";
}

start();
