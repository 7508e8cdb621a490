//! Graph values returned by queries: [`Node`], [`Relationship`], [`Path`].
//!
//! Owns their public shape (element ids, legacy ids, labels, type,
//! properties) and typed property access. They can be received but never
//! sent as parameters.
//!
//! Nodes and relationships are shared, not copied: cloning one bumps a
//! reference count, and a [`Path`] that visits a node or relationship
//! several times holds the same entity at each step (as the official
//! drivers do), so a path's size follows its distinct entities, not its
//! length.

use std::sync::Arc;

use super::{FromValue, ValueMap};
use crate::Error;

fn property<T: FromValue>(props: &ValueMap, key: &str) -> Result<T, Error> {
    match props.get(key) {
        Some(v) => T::from_value(v.clone()).map_err(|e| e.with_key(key)),
        None => Err(Error::Conversion {
            key: Some(key.to_owned()),
            message: "no such property".into(),
        }),
    }
}

/// A node: element id, labels and properties.
///
/// Before Bolt 5.0 servers send only the legacy numeric id; the element id
/// is then that number as text, as in the official drivers.
///
/// ```
/// use neo4j::{Node, ValueMap};
/// let n = Node::new("4:abc:1", ["Person"], [("name", "Ada")].into_iter().collect::<ValueMap>());
/// assert_eq!(n.element_id(), "4:abc:1");
/// assert!(n.has_label("Person"));
/// assert_eq!(n.get::<String>("name").unwrap(), "Ada");
/// ```
///
/// Cloning is cheap: clones share one node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node(pub(crate) Arc<NodeData>);

/// A node's parts, behind an [`Arc`] so that [`Value`] stays small and
/// the steps of a [`Path`] share them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeData {
    pub(crate) id: i64,
    pub(crate) element_id: String,
    pub(crate) labels: Vec<String>,
    pub(crate) properties: ValueMap,
}

impl Node {
    /// A node with this element id, labels and properties (legacy id -1);
    /// for tests and fakes: nodes normally come from the server.
    ///
    /// ```
    /// let n = neo4j::Node::new("1", Vec::<String>::new(), Default::default());
    /// assert_eq!(n.id(), -1);
    /// ```
    pub fn new<L: Into<String>>(
        element_id: impl Into<String>,
        labels: impl IntoIterator<Item = L>,
        properties: ValueMap,
    ) -> Node {
        Node(Arc::new(NodeData {
            id: -1,
            element_id: element_id.into(),
            labels: labels.into_iter().map(Into::into).collect(),
            properties,
        }))
    }

    /// The element id (unique within the database, not stable across
    /// transactions).
    ///
    /// ```
    /// assert_eq!(neo4j::Node::new("e", ["L"], Default::default()).element_id(), "e");
    /// ```
    pub fn element_id(&self) -> &str {
        &self.0.element_id
    }

    /// The legacy numeric id (deprecated by Neo4j 5; use
    /// [`element_id`](Node::element_id)).
    ///
    /// ```
    /// assert_eq!(neo4j::Node::new("e", ["L"], Default::default()).id(), -1);
    /// ```
    pub fn id(&self) -> i64 {
        self.0.id
    }

    /// The labels.
    ///
    /// ```
    /// assert_eq!(neo4j::Node::new("e", ["A", "B"], Default::default()).labels(), ["A", "B"]);
    /// ```
    pub fn labels(&self) -> &[String] {
        &self.0.labels
    }

    /// Whether the node has `label`.
    ///
    /// ```
    /// assert!(!neo4j::Node::new("e", ["A"], Default::default()).has_label("B"));
    /// ```
    pub fn has_label(&self, label: &str) -> bool {
        self.0.labels.iter().any(|l| l == label)
    }

    /// The properties.
    ///
    /// ```
    /// assert!(neo4j::Node::new("e", ["A"], Default::default()).properties().is_empty());
    /// ```
    pub fn properties(&self) -> &ValueMap {
        &self.0.properties
    }

    /// One property, converted.
    ///
    /// # Errors
    /// [`Error::Conversion`] naming the key if it is missing or of another
    /// type.
    ///
    /// ```
    /// use neo4j::{Node, ValueMap};
    /// let n = Node::new("e", ["A"], [("age", 3)].into_iter().collect::<ValueMap>());
    /// assert_eq!(n.get::<i64>("age").unwrap(), 3);
    /// assert!(n.get::<String>("age").unwrap_err().to_string().contains("`age`"));
    /// ```
    pub fn get<T: FromValue>(&self, key: &str) -> Result<T, Error> {
        property(&self.0.properties, key)
    }

    /// The properties, consuming the node (copied if a clone of it is
    /// still alive).
    ///
    /// ```
    /// assert!(neo4j::Node::new("e", ["A"], Default::default()).into_properties().is_empty());
    /// ```
    pub fn into_properties(self) -> ValueMap {
        Arc::unwrap_or_clone(self.0).properties
    }
}

/// A relationship: element ids of itself and its end nodes, type and
/// properties.
///
/// ```
/// use neo4j::Relationship;
/// let r = Relationship::new("r1", "a", "b", "KNOWS", Default::default());
/// assert_eq!((r.start_node_element_id(), r.end_node_element_id()), ("a", "b"));
/// assert_eq!(r.rel_type(), "KNOWS");
/// ```
///
/// Cloning is cheap: clones share one relationship.
#[derive(Debug, Clone, PartialEq)]
pub struct Relationship(pub(crate) Arc<RelationshipData>);

/// A relationship's parts, behind an [`Arc`] like [`NodeData`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RelationshipData {
    pub(crate) id: i64,
    pub(crate) element_id: String,
    pub(crate) start_id: i64,
    pub(crate) start_element_id: String,
    pub(crate) end_id: i64,
    pub(crate) end_element_id: String,
    pub(crate) rel_type: String,
    pub(crate) properties: ValueMap,
}

impl Relationship {
    /// A relationship (legacy ids -1); for tests and fakes.
    ///
    /// ```
    /// let r = neo4j::Relationship::new("r", "s", "e", "T", Default::default());
    /// assert_eq!(r.id(), -1);
    /// ```
    pub fn new(
        element_id: impl Into<String>,
        start_node_element_id: impl Into<String>,
        end_node_element_id: impl Into<String>,
        rel_type: impl Into<String>,
        properties: ValueMap,
    ) -> Relationship {
        Relationship(Arc::new(RelationshipData {
            id: -1,
            element_id: element_id.into(),
            start_id: -1,
            start_element_id: start_node_element_id.into(),
            end_id: -1,
            end_element_id: end_node_element_id.into(),
            rel_type: rel_type.into(),
            properties,
        }))
    }

    /// The element id.
    ///
    /// ```
    /// assert_eq!(neo4j::Relationship::new("r", "s", "e", "T", Default::default()).element_id(), "r");
    /// ```
    pub fn element_id(&self) -> &str {
        &self.0.element_id
    }

    /// The legacy numeric id.
    ///
    /// ```
    /// assert_eq!(neo4j::Relationship::new("r", "s", "e", "T", Default::default()).id(), -1);
    /// ```
    pub fn id(&self) -> i64 {
        self.0.id
    }

    /// The start node's element id.
    ///
    /// ```
    /// assert_eq!(neo4j::Relationship::new("r", "s", "e", "T", Default::default()).start_node_element_id(), "s");
    /// ```
    pub fn start_node_element_id(&self) -> &str {
        &self.0.start_element_id
    }

    /// The start node's legacy id.
    ///
    /// ```
    /// assert_eq!(neo4j::Relationship::new("r", "s", "e", "T", Default::default()).start_node_id(), -1);
    /// ```
    pub fn start_node_id(&self) -> i64 {
        self.0.start_id
    }

    /// The end node's element id.
    ///
    /// ```
    /// assert_eq!(neo4j::Relationship::new("r", "s", "e", "T", Default::default()).end_node_element_id(), "e");
    /// ```
    pub fn end_node_element_id(&self) -> &str {
        &self.0.end_element_id
    }

    /// The end node's legacy id.
    ///
    /// ```
    /// assert_eq!(neo4j::Relationship::new("r", "s", "e", "T", Default::default()).end_node_id(), -1);
    /// ```
    pub fn end_node_id(&self) -> i64 {
        self.0.end_id
    }

    /// The relationship type.
    ///
    /// ```
    /// assert_eq!(neo4j::Relationship::new("r", "s", "e", "T", Default::default()).rel_type(), "T");
    /// ```
    pub fn rel_type(&self) -> &str {
        &self.0.rel_type
    }

    /// The properties.
    ///
    /// ```
    /// assert!(neo4j::Relationship::new("r", "s", "e", "T", Default::default()).properties().is_empty());
    /// ```
    pub fn properties(&self) -> &ValueMap {
        &self.0.properties
    }

    /// One property, converted.
    ///
    /// # Errors
    /// [`Error::Conversion`] naming the key if it is missing or of another
    /// type.
    ///
    /// ```
    /// use neo4j::{Relationship, ValueMap};
    /// let r = Relationship::new("r", "s", "e", "T", [("since", 2020)].into_iter().collect::<ValueMap>());
    /// assert_eq!(r.get::<i64>("since").unwrap(), 2020);
    /// assert!(r.get::<i64>("until").is_err());
    /// ```
    pub fn get<T: FromValue>(&self, key: &str) -> Result<T, Error> {
        property(&self.0.properties, key)
    }

    /// The properties, consuming the relationship (copied if a clone of
    /// it is still alive).
    ///
    /// ```
    /// assert!(neo4j::Relationship::new("r", "s", "e", "T", Default::default()).into_properties().is_empty());
    /// ```
    pub fn into_properties(self) -> ValueMap {
        Arc::unwrap_or_clone(self.0).properties
    }
}

/// A path: an alternating walk of nodes and relationships, starting and
/// ending with a node. Relationships are complete: each knows its start and
/// end node, whatever the direction of travel. A node or relationship
/// visited more than once is one shared value, not a copy per visit.
///
/// ```
/// # fn path() -> neo4j::Path { neo4j::Path::from_parts(vec![neo4j::Node::new("a", ["N"], Default::default())], vec![]).unwrap() }
/// let p: neo4j::Path = path();
/// assert_eq!(p.len(), 0);
/// assert_eq!(p.start().element_id(), "a");
/// assert_eq!(p.end().element_id(), "a");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Path(pub(crate) Box<PathData>);

/// A path's parts, boxed so that [`Value`] stays small.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PathData {
    pub(crate) nodes: Vec<Node>,
    pub(crate) relationships: Vec<Relationship>,
}

impl Path {
    /// A path of `nodes` joined by `relationships` (one fewer than nodes,
    /// each linking its neighbours in either direction); for tests and
    /// fakes.
    ///
    /// # Errors
    /// [`Error::Conversion`] if the counts or links do not match.
    ///
    /// ```
    /// use neo4j::{Node, Path, Relationship};
    /// let a = Node::new("a", ["N"], Default::default());
    /// let b = Node::new("b", ["N"], Default::default());
    /// let r = Relationship::new("r", "b", "a", "T", Default::default());
    /// let p = Path::from_parts(vec![a, b], vec![r]).unwrap();
    /// assert_eq!(p.len(), 1);
    /// assert!(Path::from_parts(vec![], vec![]).is_err());
    /// ```
    pub fn from_parts(nodes: Vec<Node>, relationships: Vec<Relationship>) -> Result<Path, Error> {
        let bad = |m: &str| Error::Conversion {
            key: None,
            message: format!("invalid path: {m}"),
        };
        if nodes.is_empty() || relationships.len() + 1 != nodes.len() {
            return Err(bad("needs one node more than relationships"));
        }
        for (i, r) in relationships.iter().enumerate() {
            let (a, b) = (&nodes[i].0.element_id, &nodes[i + 1].0.element_id);
            let fwd = &r.0.start_element_id == a && &r.0.end_element_id == b;
            let back = &r.0.start_element_id == b && &r.0.end_element_id == a;
            if !fwd && !back {
                return Err(bad("a relationship does not link its neighbouring nodes"));
            }
        }
        Ok(Path(Box::new(PathData {
            nodes,
            relationships,
        })))
    }

    /// The nodes in walk order (a node may repeat).
    ///
    /// ```
    /// # let p = neo4j::Path::from_parts(vec![neo4j::Node::new("a", ["N"], Default::default())], vec![]).unwrap();
    /// assert_eq!(p.nodes().len(), 1);
    /// ```
    pub fn nodes(&self) -> &[Node] {
        &self.0.nodes
    }

    /// The relationships in walk order.
    ///
    /// ```
    /// # let p = neo4j::Path::from_parts(vec![neo4j::Node::new("a", ["N"], Default::default())], vec![]).unwrap();
    /// assert!(p.relationships().is_empty());
    /// ```
    pub fn relationships(&self) -> &[Relationship] {
        &self.0.relationships
    }

    /// The first node.
    ///
    /// ```
    /// # let p = neo4j::Path::from_parts(vec![neo4j::Node::new("a", ["N"], Default::default())], vec![]).unwrap();
    /// assert_eq!(p.start().element_id(), "a");
    /// ```
    pub fn start(&self) -> &Node {
        &self.0.nodes[0]
    }

    /// The last node.
    ///
    /// ```
    /// # let p = neo4j::Path::from_parts(vec![neo4j::Node::new("a", ["N"], Default::default())], vec![]).unwrap();
    /// assert_eq!(p.end().element_id(), "a");
    /// ```
    pub fn end(&self) -> &Node {
        &self.0.nodes[self.0.nodes.len() - 1]
    }

    /// The number of relationships.
    ///
    /// ```
    /// # let p = neo4j::Path::from_parts(vec![neo4j::Node::new("a", ["N"], Default::default())], vec![]).unwrap();
    /// assert!(p.is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.0.relationships.len()
    }

    /// Whether the path has no relationships.
    ///
    /// ```
    /// # let p = neo4j::Path::from_parts(vec![neo4j::Node::new("a", ["N"], Default::default())], vec![]).unwrap();
    /// assert_eq!(p.is_empty(), p.len() == 0);
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.relationships.is_empty()
    }
}
