//! ONNX graph surgery for verification: the checkpoints of a model (the tensors that cut its graph
//! in two) and the segment models between consecutive checkpoints, which the engine runs one
//! after the other for a checkpointed run and alone for a dispute's referee.
//!
//! The model file is read at the protobuf wire level and every part this module does not change
//! is copied byte for byte, so a derived model keeps the original's opsets, weights, attributes
//! and metadata exactly.
//!
//! A checkpoint is the output of a node after which exactly one computed tensor is still needed
//! (by a later node or as a graph output): that tensor alone carries the whole state of the run.
//! Nodes that depend on nothing computed (weights built by `Constant` or `ConstantOfShape`) are
//! not part of the order; a segment includes those its nodes consume. The segment between
//! checkpoint `i - 1` and checkpoint `i` is therefore a complete model whose only input is
//! checkpoint `i - 1`'s tensor.

use crate::{
	checkpoints::{CHECKPOINTS, MAX_CHECKPOINTS},
	types::{ElementType, Tensor},
};
use codec::Encode;
use std::{collections::HashMap, ops::Range};

/// Why a model file cannot be taken apart here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphError {
	/// Not a well-formed ONNX `ModelProto`.
	Malformed,
	/// The file holds no graph, or more than one.
	NoSingleGraph,
	/// A node consumes a tensor that no earlier node, input or initializer provides.
	NotTopologicallySorted,
	/// A node carries a subgraph (`If`, `Loop`, `Scan`), which may read tensors it does not
	/// name as inputs.
	HasSubgraphs,
	/// The segment asked for does not exist.
	UnknownSegment,
}

/// The tensor a segment starts from, as the segment model declares its input.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
pub struct SegmentInput {
	/// The checkpoint's name.
	pub name: Vec<u8>,
	/// Its element type.
	pub element_type: ElementType,
	/// Its concrete shape.
	pub shape: Vec<u64>,
}

impl SegmentInput {
	/// The input a segment reads `tensor` as.
	pub fn of(tensor: &Tensor) -> Self {
		SegmentInput {
			name: tensor.name.to_vec(),
			element_type: tensor.element_type,
			shape: tensor.shape.to_vec(),
		}
	}
}

/// Protobuf wire types used by ONNX.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LENGTH_DELIMITED: u8 = 2;
const FIXED32: u8 = 5;

/// One field of a protobuf message: its number, and the bytes of its value (for a
/// length-delimited field, the payload) and of the whole field.
struct Field<'a> {
	number: u32,
	wire_type: u8,
	payload: &'a [u8],
	span: Range<usize>,
}

/// Reads a varint at `*at`, advancing it.
fn read_varint(bytes: &[u8], at: &mut usize) -> Result<u64, GraphError> {
	let mut value = 0u64;
	for shift in (0..64).step_by(7) {
		let byte = *bytes.get(*at).ok_or(GraphError::Malformed)?;
		*at += 1;
		value |= u64::from(byte & 0x7f) << shift;
		if byte & 0x80 == 0 {
			return Ok(value);
		}
	}
	Err(GraphError::Malformed)
}

/// The fields of a message, in order.
fn fields(bytes: &[u8]) -> Result<Vec<Field<'_>>, GraphError> {
	let mut at = 0;
	let mut out = Vec::new();
	while at < bytes.len() {
		let start = at;
		let key = read_varint(bytes, &mut at)?;
		let number = u32::try_from(key >> 3).map_err(|_| GraphError::Malformed)?;
		let wire_type = (key & 7) as u8;
		let payload = match wire_type {
			VARINT => {
				let from = at;
				read_varint(bytes, &mut at)?;
				&bytes[from..at]
			},
			FIXED64 | FIXED32 => {
				let len = if wire_type == FIXED64 { 8 } else { 4 };
				let end = at.checked_add(len).filter(|end| *end <= bytes.len());
				let end = end.ok_or(GraphError::Malformed)?;
				let payload = &bytes[at..end];
				at = end;
				payload
			},
			LENGTH_DELIMITED => {
				let len = usize::try_from(read_varint(bytes, &mut at)?)
					.map_err(|_| GraphError::Malformed)?;
				let end = at.checked_add(len).filter(|end| *end <= bytes.len());
				let end = end.ok_or(GraphError::Malformed)?;
				let payload = &bytes[at..end];
				at = end;
				payload
			},
			_ => return Err(GraphError::Malformed),
		};
		if number == 0 {
			return Err(GraphError::Malformed);
		}
		out.push(Field { number, wire_type, payload, span: start..at });
	}
	Ok(out)
}

/// A length-delimited field's payload as UTF-8.
fn string(field: &Field<'_>) -> Result<String, GraphError> {
	if field.wire_type != LENGTH_DELIMITED {
		return Err(GraphError::Malformed);
	}
	String::from_utf8(field.payload.to_vec()).map_err(|_| GraphError::Malformed)
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
	loop {
		let byte = (value & 0x7f) as u8;
		value >>= 7;
		if value == 0 {
			out.push(byte);
			return;
		}
		out.push(byte | 0x80);
	}
}

/// Appends a length-delimited field.
fn put_bytes(out: &mut Vec<u8>, number: u32, payload: &[u8]) {
	put_varint(out, (u64::from(number) << 3) | u64::from(LENGTH_DELIMITED));
	put_varint(out, payload.len() as u64);
	out.extend_from_slice(payload);
}

/// Appends a varint field.
fn put_uint(out: &mut Vec<u8>, number: u32, value: u64) {
	put_varint(out, u64::from(number) << 3);
	put_varint(out, value);
}

// Field numbers of the ONNX messages (onnx.proto3).
const MODEL_GRAPH: u32 = 7;
const GRAPH_NODE: u32 = 1;
const GRAPH_INITIALIZER: u32 = 5;
const GRAPH_INPUT: u32 = 11;
const GRAPH_OUTPUT: u32 = 12;
const GRAPH_VALUE_INFO: u32 = 13;
const GRAPH_SPARSE_INITIALIZER: u32 = 15;
const NODE_INPUT: u32 = 1;
const NODE_OUTPUT: u32 = 2;
const NODE_ATTRIBUTE: u32 = 5;
const ATTRIBUTE_GRAPH: u32 = 6;
const ATTRIBUTE_GRAPHS: u32 = 11;
const TENSOR_NAME: u32 = 8;
const SPARSE_TENSOR_VALUES: u32 = 1;
const VALUE_INFO_NAME: u32 = 1;
const VALUE_INFO_TYPE: u32 = 2;
const TYPE_TENSOR: u32 = 1;
const TENSOR_TYPE_ELEM_TYPE: u32 = 1;
const TENSOR_TYPE_SHAPE: u32 = 2;
const SHAPE_DIM: u32 = 1;
const DIM_VALUE: u32 = 1;

/// A node: the tensors it reads and writes, and where it lies in the graph message.
struct Node {
	inputs: Vec<String>,
	outputs: Vec<String>,
	span: Range<usize>,
	/// Depends on no computed tensor (built from initializers and constants only).
	constant: bool,
}

/// A named entry of the graph message (input, output, initializer) and where it lies.
struct Named {
	name: String,
	span: Range<usize>,
}

/// A model file taken apart: its graph's nodes in order, and its checkpoints.
pub struct ModelGraph<'a> {
	bytes: &'a [u8],
	/// The model message's fields other than the graph.
	model_fields: Vec<Range<usize>>,
	/// The graph message's payload (`nodes`, `initializers`, ... span into it).
	graph: &'a [u8],
	/// Graph fields kept as they are in every derived model (name, doc string, metadata).
	graph_fields: Vec<Range<usize>>,
	nodes: Vec<Node>,
	initializers: Vec<Named>,
	inputs: Vec<Named>,
	outputs: Vec<Named>,
	/// Every cut point (see the module docs), as (index into `nodes`, tensor name).
	cuts: Vec<(usize, String)>,
	/// How many of the cut points are checkpoints, at most.
	chosen: usize,
}

impl<'a> ModelGraph<'a> {
	/// Takes a model file apart.
	///
	/// # Errors
	/// Any [`GraphError`] but `UnknownSegment`.
	pub fn parse(bytes: &'a [u8]) -> Result<Self, GraphError> {
		let mut model_fields = Vec::new();
		let mut graph = None;
		for field in fields(bytes)? {
			if field.number == MODEL_GRAPH {
				if graph.is_some() || field.wire_type != LENGTH_DELIMITED {
					return Err(GraphError::NoSingleGraph);
				}
				graph = Some(field.payload);
			} else {
				model_fields.push(field.span);
			}
		}
		let graph = graph.ok_or(GraphError::NoSingleGraph)?;
		let mut parsed = ModelGraph {
			bytes,
			model_fields,
			graph,
			graph_fields: Vec::new(),
			nodes: Vec::new(),
			initializers: Vec::new(),
			inputs: Vec::new(),
			outputs: Vec::new(),
			cuts: Vec::new(),
			chosen: CHECKPOINTS as usize,
		};
		for field in fields(graph)? {
			let named = |number: u32| -> Result<Named, GraphError> {
				let name = fields(field.payload)?
					.iter()
					.find(|inner| inner.number == number)
					.map(string)
					.transpose()?
					.unwrap_or_default();
				Ok(Named { name, span: field.span.clone() })
			};
			match field.number {
				GRAPH_NODE => parsed.nodes.push(node(&field)?),
				GRAPH_INITIALIZER => parsed.initializers.push(named(TENSOR_NAME)?),
				GRAPH_SPARSE_INITIALIZER => {
					// A sparse initializer is named by its `values` tensor.
					let values = fields(field.payload)?
						.into_iter()
						.find(|inner| inner.number == SPARSE_TENSOR_VALUES)
						.ok_or(GraphError::Malformed)?;
					let name = fields(values.payload)?
						.iter()
						.find(|inner| inner.number == TENSOR_NAME)
						.map(string)
						.transpose()?
						.unwrap_or_default();
					parsed.initializers.push(Named { name, span: field.span.clone() });
				},
				GRAPH_INPUT => parsed.inputs.push(named(VALUE_INFO_NAME)?),
				GRAPH_OUTPUT => parsed.outputs.push(named(VALUE_INFO_NAME)?),
				// Shape hints may name tensors a derived model lacks: dropped.
				GRAPH_VALUE_INFO => {},
				_ => parsed.graph_fields.push(field.span),
			}
		}
		let (constant, cuts) = parsed.order()?;
		for (node, constant) in parsed.nodes.iter_mut().zip(constant) {
			node.constant = constant;
		}
		parsed.cuts = cuts;
		Ok(parsed)
	}

	/// Checks the order; returns which nodes are constant, and the cut points.
	#[allow(clippy::type_complexity)]
	fn order(&self) -> Result<(Vec<bool>, Vec<(usize, String)>), GraphError> {
		let initializers: std::collections::HashSet<&str> =
			self.initializers.iter().map(|named| named.name.as_str()).collect();
		// Where each tensor comes from: `None` for a computed graph input, `Some(i)` for node i;
		// constants (initializers, constant nodes' outputs) are not tracked.
		let mut producer: HashMap<&str, Option<usize>> = HashMap::new();
		for input in &self.inputs {
			if !initializers.contains(input.name.as_str()) {
				producer.insert(&input.name, None);
			}
		}
		let mut constants: std::collections::HashSet<&str> = initializers.clone();
		// Last reader of each computed tensor, in node index; graph outputs are read at the end.
		let mut last_use: HashMap<&str, usize> = HashMap::new();
		let mut is_constant = Vec::with_capacity(self.nodes.len());
		for (index, node) in self.nodes.iter().enumerate() {
			let mut constant = true;
			for input in node.inputs.iter().filter(|name| !name.is_empty()) {
				if constants.contains(input.as_str()) {
					continue;
				}
				if !producer.contains_key(input.as_str()) {
					return Err(GraphError::NotTopologicallySorted);
				}
				constant = false;
				last_use.insert(input, index);
			}
			is_constant.push(constant);
			for output in node.outputs.iter().filter(|name| !name.is_empty()) {
				if constant {
					constants.insert(output);
				} else {
					producer.insert(output, Some(index));
				}
			}
		}
		let end = self.nodes.len();
		for output in &self.outputs {
			if producer.contains_key(output.name.as_str()) {
				last_use.insert(&output.name, end);
			}
		}
		// Sweep: after node i, the computed tensors still needed are those produced at or before
		// i and read after it. A single one, written by node i, is a cut point.
		let mut live = 0usize;
		let mut dying: HashMap<usize, usize> = HashMap::new();
		for (tensor, source) in &producer {
			if let (None, Some(last)) = (source, last_use.get(tensor)) {
				live += 1;
				*dying.entry(*last).or_default() += 1;
			}
		}
		let graph_outputs: std::collections::HashSet<&str> =
			self.outputs.iter().map(|named| named.name.as_str()).collect();
		let mut cuts = Vec::new();
		for (index, node) in self.nodes.iter().enumerate() {
			if is_constant[index] {
				continue;
			}
			live -= dying.remove(&index).unwrap_or(0);
			let mut written = None;
			for output in node.outputs.iter().filter(|name| !name.is_empty()) {
				if let Some(last) = last_use.get(output.as_str()) {
					live += 1;
					*dying.entry(*last).or_default() += 1;
					written = Some(output);
				}
			}
			if let (1, Some(tensor)) = (live, written) {
				if !graph_outputs.contains(tensor.as_str()) {
					cuts.push((index, tensor.clone()));
				}
			}
		}
		Ok((is_constant, cuts))
	}

	/// Takes a model file apart with up to `count` checkpoints (at most [`MAX_CHECKPOINTS`])
	/// instead of [`CHECKPOINTS`]: for measuring the trade-off; engines that compare runs must
	/// agree on it.
	///
	/// # Errors
	/// As [`Self::parse`].
	pub fn parse_with_checkpoints(bytes: &'a [u8], count: u32) -> Result<Self, GraphError> {
		let mut graph = Self::parse(bytes)?;
		graph.chosen = count.min(MAX_CHECKPOINTS) as usize;
		Ok(graph)
	}

	/// The checkpoints the engine commits to: up to [`CHECKPOINTS`] of the cut points (see
	/// [`Self::parse_with_checkpoints`]), in graph order, each the cut point nearest to one of evenly
	/// spaced positions among the computed nodes, so the segments have about equal numbers of
	/// nodes. Empty for a graph with no cut point.
	pub fn checkpoints(&self) -> Vec<&str> {
		let count = self.cuts.len();
		let chosen = count.min(self.chosen);
		// Each node's position among the computed nodes (constant nodes take no time).
		let mut position = Vec::with_capacity(self.nodes.len());
		let mut computed = 0;
		for node in &self.nodes {
			position.push(computed);
			computed += usize::from(!node.constant);
		}
		let mut picked = Vec::with_capacity(chosen);
		let mut next = 0;
		for i in 1..=chosen {
			let target = i * computed / (chosen + 1);
			// Leave a cut point for every checkpoint still to pick.
			let last = count - (chosen - i);
			let best = (next..last)
				.min_by_key(|&at| position[self.cuts[at].0].abs_diff(target))
				.unwrap_or(next);
			picked.push(self.cuts[best].1.as_str());
			next = best + 1;
		}
		picked
	}

	/// Number of segments: one more than the checkpoints.
	pub fn segments(&self) -> usize {
		self.checkpoints().len() + 1
	}

	/// The model of segment `index` (0 to [`Self::segments`] - 1): from checkpoint `index - 1`
	/// (or the model's inputs, for segment 0) to checkpoint `index` (or the model's outputs, for
	/// the last). `input` is the tensor of checkpoint `index - 1` the segment will be run on
	/// (ignored for segment 0), declared as the segment's input.
	///
	/// # Errors
	/// [`GraphError::UnknownSegment`] when `index` is out of range, or segment > 0 without an
	/// input named after its checkpoint.
	pub fn segment(
		&self,
		index: usize,
		input: Option<&SegmentInput>,
	) -> Result<Vec<u8>, GraphError> {
		let checkpoints = self.checkpoints();
		if index > checkpoints.len() {
			return Err(GraphError::UnknownSegment);
		}
		let position = |name: &str| self.cuts.iter().find(|(_, cut)| cut == name).map(|(i, _)| *i);
		let from = match index {
			0 => None,
			_ => {
				let name = checkpoints[index - 1];
				let input = input.filter(|tensor| tensor.name.as_slice() == name.as_bytes());
				let input = input.ok_or(GraphError::UnknownSegment)?;
				Some((position(name).ok_or(GraphError::UnknownSegment)?, input))
			},
		};
		let to = checkpoints.get(index).map(|name| (position(name).unwrap_or(0), *name));
		let first = from.map_or(0, |(at, _)| at + 1);
		let last = to.map_or(self.nodes.len(), |(at, _)| at + 1);

		// The segment's computed nodes, then the constant nodes they need, transitively.
		let mut included: Vec<bool> = self
			.nodes
			.iter()
			.enumerate()
			.map(|(i, n)| !n.constant && i >= first && i < last)
			.collect();
		let constant_producer: HashMap<&str, usize> = self
			.nodes
			.iter()
			.enumerate()
			.filter(|(_, node)| node.constant)
			.flat_map(|(i, node)| node.outputs.iter().map(move |name| (name.as_str(), i)))
			.collect();
		let mut pending: Vec<usize> = (0..self.nodes.len()).filter(|i| included[*i]).collect();
		while let Some(at) = pending.pop() {
			for input in &self.nodes[at].inputs {
				if let Some(&producer) = constant_producer.get(input.as_str()) {
					if !included[producer] {
						included[producer] = true;
						pending.push(producer);
					}
				}
			}
		}
		let read: std::collections::HashSet<&str> = self
			.nodes
			.iter()
			.zip(&included)
			.filter(|(_, keep)| **keep)
			.flat_map(|(node, _)| node.inputs.iter().map(String::as_str))
			.collect();

		let mut graph = Vec::new();
		for span in &self.graph_fields {
			graph.extend_from_slice(&self.graph[span.clone()]);
		}
		for (node, keep) in self.nodes.iter().zip(&included) {
			if *keep {
				graph.extend_from_slice(&self.graph[node.span.clone()]);
			}
		}
		for initializer in self.initializers.iter().filter(|i| read.contains(i.name.as_str())) {
			graph.extend_from_slice(&self.graph[initializer.span.clone()]);
		}
		// Older files list initializers among the inputs too; those the segment reads are kept.
		let initializers: std::collections::HashSet<&str> =
			self.initializers.iter().map(|named| named.name.as_str()).collect();
		let from_start = from.is_none();
		for input in self.inputs.iter().filter(|input| {
			let name = input.name.as_str();
			match initializers.contains(name) {
				true => read.contains(name),
				false => from_start,
			}
		}) {
			graph.extend_from_slice(&self.graph[input.span.clone()]);
		}
		if let Some((_, tensor)) = from {
			put_bytes(&mut graph, GRAPH_INPUT, &typed_value_info(tensor));
		}
		match to {
			None => {
				for output in &self.outputs {
					graph.extend_from_slice(&self.graph[output.span.clone()]);
				}
			},
			Some((_, name)) => {
				let mut info = Vec::new();
				put_bytes(&mut info, VALUE_INFO_NAME, name.as_bytes());
				put_bytes(&mut graph, GRAPH_OUTPUT, &info);
			},
		}

		let mut out = Vec::new();
		for span in &self.model_fields {
			out.extend_from_slice(&self.bytes[span.clone()]);
		}
		put_bytes(&mut out, MODEL_GRAPH, &graph);
		Ok(out)
	}
}

/// Reads a node's inputs and outputs; refuses nodes that carry subgraphs.
fn node(field: &Field<'_>) -> Result<Node, GraphError> {
	let mut node =
		Node { inputs: Vec::new(), outputs: Vec::new(), span: field.span.clone(), constant: false };
	for inner in fields(field.payload)? {
		match inner.number {
			NODE_INPUT => node.inputs.push(string(&inner)?),
			NODE_OUTPUT => node.outputs.push(string(&inner)?),
			NODE_ATTRIBUTE
				if fields(inner.payload)?.iter().any(|attribute| {
					matches!(attribute.number, ATTRIBUTE_GRAPH | ATTRIBUTE_GRAPHS)
				}) =>
			{
				return Err(GraphError::HasSubgraphs)
			},
			_ => {},
		}
	}
	Ok(node)
}

/// A `ValueInfoProto` naming `tensor` with its element type and concrete shape.
fn typed_value_info(tensor: &SegmentInput) -> Vec<u8> {
	let mut shape = Vec::new();
	for dim in tensor.shape.iter() {
		let mut dimension = Vec::new();
		put_uint(&mut dimension, DIM_VALUE, *dim);
		put_bytes(&mut shape, SHAPE_DIM, &dimension);
	}
	let mut tensor_type = Vec::new();
	put_uint(&mut tensor_type, TENSOR_TYPE_ELEM_TYPE, onnx_element_type(tensor.element_type));
	put_bytes(&mut tensor_type, TENSOR_TYPE_SHAPE, &shape);
	let mut type_proto = Vec::new();
	put_bytes(&mut type_proto, TYPE_TENSOR, &tensor_type);
	let mut info = Vec::new();
	put_bytes(&mut info, VALUE_INFO_NAME, &tensor.name);
	put_bytes(&mut info, VALUE_INFO_TYPE, &type_proto);
	info
}

/// `TensorProto.DataType` of an element type.
fn onnx_element_type(element_type: ElementType) -> u64 {
	match element_type {
		ElementType::F32 => 1,
		ElementType::U8 => 2,
		ElementType::I32 => 6,
		ElementType::I64 => 7,
		ElementType::Bool => 9,
		ElementType::F16 => 10,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// `a = Relu(x)`, `b = Neg(a)`, `c = a + b`, `d = Relu(c)`: `a` is still needed after `Neg`,
	/// so `b` is no cut point; `d` is the output.
	fn diamond() -> Vec<u8> {
		let node = |inputs: &[&str], outputs: &[&str], op: &str| {
			let mut n = Vec::new();
			for i in inputs {
				put_bytes(&mut n, NODE_INPUT, i.as_bytes());
			}
			for o in outputs {
				put_bytes(&mut n, NODE_OUTPUT, o.as_bytes());
			}
			put_bytes(&mut n, 4, op.as_bytes());
			n
		};
		let info = |name: &str| {
			let mut i = Vec::new();
			put_bytes(&mut i, VALUE_INFO_NAME, name.as_bytes());
			i
		};
		let mut graph = Vec::new();
		put_bytes(&mut graph, GRAPH_NODE, &node(&["x"], &["a"], "Relu"));
		put_bytes(&mut graph, GRAPH_NODE, &node(&["a"], &["b"], "Neg"));
		put_bytes(&mut graph, GRAPH_NODE, &node(&["a", "b"], &["c"], "Add"));
		put_bytes(&mut graph, GRAPH_NODE, &node(&["c"], &["d"], "Relu"));
		put_bytes(&mut graph, GRAPH_INPUT, &info("x"));
		put_bytes(&mut graph, GRAPH_OUTPUT, &info("d"));
		let mut model = Vec::new();
		put_uint(&mut model, 1, 8);
		put_bytes(&mut model, MODEL_GRAPH, &graph);
		model
	}

	#[test]
	fn cut_points_are_tensors_that_alone_carry_the_state() {
		let model = diamond();
		let graph = ModelGraph::parse(&model).unwrap();
		// After Relu: only `a` live. After Neg: `a` and `b`. After Add: only `c`. `d` is the
		// output, not a checkpoint.
		assert_eq!(graph.checkpoints(), vec!["a", "c"]);
		assert_eq!(graph.segments(), 3);
	}

	#[test]
	fn segments_take_the_nodes_between_their_checkpoints() {
		let model = diamond();
		let graph = ModelGraph::parse(&model).unwrap();
		let a = SegmentInput::of(&Tensor::from_f32("a", &[1, 2], &[1.0, 2.0]).unwrap());
		let segment = graph.segment(1, Some(&a)).unwrap();
		let parsed = ModelGraph::parse(&segment).unwrap();
		assert_eq!(parsed.nodes.len(), 2);
		assert_eq!(parsed.inputs.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["a"]);
		assert_eq!(parsed.outputs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["c"]);
		// The checkpoint's tensor is required, by name.
		let wrong = SegmentInput { name: b"b".to_vec(), ..a.clone() };
		assert_eq!(graph.segment(1, Some(&wrong)), Err(GraphError::UnknownSegment));
		assert_eq!(graph.segment(3, Some(&a)), Err(GraphError::UnknownSegment));
	}

	#[test]
	fn graphs_that_cannot_be_cut_are_refused_by_name() {
		let info = |name: &str| {
			let mut i = Vec::new();
			put_bytes(&mut i, VALUE_INFO_NAME, name.as_bytes());
			i
		};
		let model = |nodes: &[Vec<u8>]| {
			let mut graph = Vec::new();
			for node in nodes {
				put_bytes(&mut graph, GRAPH_NODE, node);
			}
			put_bytes(&mut graph, GRAPH_INPUT, &info("x"));
			put_bytes(&mut graph, GRAPH_OUTPUT, &info("z"));
			let mut model = Vec::new();
			put_bytes(&mut model, MODEL_GRAPH, &graph);
			model
		};
		let node = |input: &str, output: &str| {
			let mut n = Vec::new();
			put_bytes(&mut n, NODE_INPUT, input.as_bytes());
			put_bytes(&mut n, NODE_OUTPUT, output.as_bytes());
			n
		};
		// `y` is read before the node that writes it.
		let unsorted = model(&[node("y", "z"), node("x", "y")]);
		assert_eq!(ModelGraph::parse(&unsorted).err(), Some(GraphError::NotTopologicallySorted));
		// An `If` carrying a branch graph.
		let mut branch = node("x", "z");
		let mut attribute = Vec::new();
		put_bytes(&mut attribute, ATTRIBUTE_GRAPH, &[]);
		put_bytes(&mut branch, NODE_ATTRIBUTE, &attribute);
		assert_eq!(ModelGraph::parse(&model(&[branch])).err(), Some(GraphError::HasSubgraphs));
		// Two graphs.
		let mut twice = model(&[node("x", "z")]);
		twice.extend(model(&[node("x", "z")]));
		assert_eq!(ModelGraph::parse(&twice).err(), Some(GraphError::NoSingleGraph));
	}

	#[test]
	fn malformed_files_are_refused() {
		assert_eq!(ModelGraph::parse(&[0xff]).err(), Some(GraphError::Malformed));
		assert_eq!(ModelGraph::parse(&[]).err(), Some(GraphError::NoSingleGraph));
		let mut truncated = diamond();
		truncated.truncate(truncated.len() - 3);
		assert_eq!(ModelGraph::parse(&truncated).err(), Some(GraphError::Malformed));
	}
}
