// Flowyard's workflow canvas: React Flow (@xyflow/react 12) with step nodes and branch handles.
//
// Node and edge positions change locally while dragging (no server round trip per mouse
// move); only the outcome is sent: drag stop, connect, delete, select, and drop from the
// action library. The server answers with fresh `nodes`/`edges`, which replace local ones.
import { useCallback, useEffect, useState } from "react";
import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  ReactFlowProvider,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  useUpdateNodeInternals,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";

const DRAG_TYPE = "application/x-flowyard-step";

// Library items carry data-step-key; set the drag payload for any of them (one listener).
if (typeof document !== "undefined" && !window.__flowyardDragHook) {
  window.__flowyardDragHook = true;
  document.addEventListener("dragstart", (event) => {
    const item = event.target.closest && event.target.closest("[data-step-key]");
    if (item && event.dataTransfer) {
      event.dataTransfer.setData(DRAG_TYPE, item.getAttribute("data-step-key"));
      event.dataTransfer.effectAllowed = "move";
    }
  });
}

const KIND_COLOURS = {
  trigger: "#6e56cf",
  action: "#0d74ce",
  condition: "#c2410c",
  switch: "#c2410c",
  for_each: "#15803d",
  delay: "#71717a",
  sub_workflow: "#0e7490",
  stop: "#b91c1c",
};

function StepNode({ id, data, selected }) {
  const updateInternals = useUpdateNodeInternals();
  const handles = data.handles || [];
  const handleKey = handles.map((h) => h.id).join("|");
  useEffect(() => updateInternals(id), [handleKey, id, updateInternals]);
  const colour = KIND_COLOURS[data.kind] || "#52525b";
  const problems = data.problems || 0;
  return (
    <div
      className={"fy-node" + (selected ? " fy-node-selected" : "")}
      data-step-id={id}
      style={{
        minWidth: 180,
        maxWidth: 240,
        padding: "8px 12px 18px",
        borderRadius: 8,
        background: "var(--color-panel-solid, #fff)",
        border: `2px solid ${problems ? "#dc2626" : selected ? "#111" : colour}`,
        boxShadow: selected ? "0 0 0 3px rgba(0,0,0,0.15)" : "none",
        fontSize: 13,
        position: "relative",
      }}
    >
      {data.kind !== "trigger" && <Handle type="target" position={Position.Top} id="in" />}
      <div style={{ fontSize: 11, color: colour, fontWeight: 600, textTransform: "uppercase" }}>
        {data.kindLabel}
      </div>
      <div style={{ fontWeight: 600, wordBreak: "break-word" }}>{data.label}</div>
      {problems > 0 && (
        <div
          className="fy-node-problems"
          title={data.problem}
          style={{ color: "#b91c1c", fontSize: 11, marginTop: 4 }}
        >
          {"⚠ " + (problems === 1 ? data.problem : `${problems} things to fix`)}
        </div>
      )}
      {handles.map((handle, index) => {
        const left = `${((index + 1) * 100) / (handles.length + 1)}%`;
        return (
          <div key={handle.id}>
            <Handle
              type="source"
              position={Position.Bottom}
              id={handle.id}
              style={{ left, width: 12, height: 12, background: colour }}
              title={handle.label}
            />
            {handle.label && (
              <span
                style={{
                  position: "absolute",
                  bottom: 2,
                  left,
                  transform: "translateX(-50%)",
                  fontSize: 10,
                  color: "#52525b",
                  whiteSpace: "nowrap",
                  pointerEvents: "none",
                }}
              >
                {handle.label}
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}

const NODE_TYPES = { step: StepNode };

function keepSelection(previous, next) {
  const selected = new Set(previous.filter((item) => item.selected).map((item) => item.id));
  return (next || []).map((item) => ({ ...item, selected: selected.has(item.id) }));
}

function Canvas(props) {
  const {
    nodes: givenNodes,
    edges: givenEdges,
    onConnectStep,
    onMoveSteps,
    onDeleteSteps,
    onDeleteEdges,
    onSelectStep,
    onDropStep,
  } = props;
  const [nodes, setNodes] = useState(givenNodes || []);
  const [edges, setEdges] = useState(givenEdges || []);
  const flow = useReactFlow();
  const [fitted, setFitted] = useState(false);
  useEffect(() => setNodes((previous) => keepSelection(previous, givenNodes)), [givenNodes]);
  // Nodes arrive from the server after mount: frame them once, when they first appear.
  useEffect(() => {
    if (fitted || !givenNodes || givenNodes.length === 0) return;
    setFitted(true);
    // A new workflow (just the trigger) starts at the top left, leaving room to build below.
    if (givenNodes.length > 1) setTimeout(() => flow.fitView({ maxZoom: 1, padding: 0.2 }), 60);
  }, [givenNodes, fitted, flow]);
  useEffect(() => setEdges((previous) => keepSelection(previous, givenEdges)), [givenEdges]);

  const onNodesChange = useCallback((changes) => setNodes((ns) => applyNodeChanges(changes, ns)), []);
  const onEdgesChange = useCallback((changes) => setEdges((es) => applyEdgeChanges(changes, es)), []);
  const onConnect = useCallback(
    (c) => onConnectStep && onConnectStep({ source: c.source, target: c.target, handle: c.sourceHandle || "" }),
    [onConnectStep],
  );
  const onNodeDragStop = useCallback(
    (_event, node, dragged) => {
      const moved = (dragged && dragged.length ? dragged : [node]).map((n) => ({
        id: n.id,
        x: Math.round(n.position.x),
        y: Math.round(n.position.y),
      }));
      onMoveSteps && onMoveSteps(moved);
    },
    [onMoveSteps],
  );
  const onNodesDelete = useCallback(
    (deleted) => onDeleteSteps && onDeleteSteps(deleted.map((n) => n.id)),
    [onDeleteSteps],
  );
  const onEdgesDelete = useCallback(
    (deleted) => onDeleteEdges && onDeleteEdges(deleted.map((e) => e.id)),
    [onDeleteEdges],
  );
  const onNodeClick = useCallback((_event, node) => onSelectStep && onSelectStep(node.id), [onSelectStep]);
  const onPaneClick = useCallback(() => onSelectStep && onSelectStep(""), [onSelectStep]);
  const onDragOver = useCallback((event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
  }, []);
  const onDrop = useCallback(
    (event) => {
      event.preventDefault();
      const key = event.dataTransfer.getData(DRAG_TYPE);
      if (!key || !onDropStep) return;
      const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      onDropStep({ key, x: Math.round(at.x - 90), y: Math.round(at.y - 20) });
    },
    [flow, onDropStep],
  );

  return (
    <div style={{ width: "100%", height: props.height || "640px" }} id={props.id}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onNodeDragStop={onNodeDragStop}
        onNodesDelete={onNodesDelete}
        onEdgesDelete={onEdgesDelete}
        onNodeClick={onNodeClick}
        onPaneClick={onPaneClick}
        onDragOver={onDragOver}
        onDrop={onDrop}
        deleteKeyCode={["Backspace", "Delete"]}
        defaultViewport={{ x: 30, y: 30, zoom: 1 }}
        minZoom={0.2}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

export function FlowCanvas(props) {
  return (
    <ReactFlowProvider>
      <Canvas {...props} />
    </ReactFlowProvider>
  );
}
