//! Graph structures: Node, Relationship, UnboundRelationship, Path.
//!
//! Owns their field layouts (element ids from 5.0). Must not know messages.

use packstream::{Map, Structure, Value};

use super::{tag, Fields, StructCtx, StructureError};

fn element_id_check(
    structure: &'static str,
    ctx: StructCtx,
    present: bool,
) -> Result<(), StructureError> {
    match (ctx.element_ids(), present) {
        (true, false) => Err(StructureError::NotInVersion {
            structure,
            version: ctx.version,
            reason: "element ids are required from Bolt 5.0",
        }),
        (false, true) => Err(StructureError::NotInVersion {
            structure,
            version: ctx.version,
            reason: "element ids exist only from Bolt 5.0",
        }),
        _ => Ok(()),
    }
}

/// A node.
///
/// ```
/// use bolt_proto::structure::{Node, StructCtx};
/// use bolt_proto::Version;
/// let n = Node { id: 1, labels: vec!["Person".into()], properties: Default::default(), element_id: None };
/// let raw = n.to_structure(StructCtx::new(Version::V4_4)).unwrap();
/// assert_eq!((raw.tag, raw.fields.len()), (0x4E, 3));
/// assert_eq!(Node::from_structure(&raw, StructCtx::new(Version::V4_4)).unwrap(), n);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    /// Legacy numeric id.
    pub id: i64,
    /// Labels.
    pub labels: Vec<String>,
    /// Properties.
    pub properties: Map,
    /// Element id (5.0+: required; before: must be `None`).
    pub element_id: Option<String>,
}

impl Node {
    /// Reads a node (tag 0x4E) for the context.
    ///
    /// ```
    /// use bolt_proto::structure::{Node, StructCtx};
    /// let raw = packstream::Structure { tag: 0x4E, fields: vec![1.into()] };
    /// assert!(Node::from_structure(&raw, StructCtx::new(bolt_proto::Version::V4_4)).is_err());
    /// ```
    pub fn from_structure(s: &Structure, ctx: StructCtx) -> Result<Node, StructureError> {
        let e = ctx.element_ids();
        let f = Fields::expect("Node", s, if e { 4 } else { 3 }, ctx.version)?;
        Ok(Node {
            id: f.int(0, "id")?,
            labels: f.str_list(1, "labels")?,
            properties: f.map(2, "properties")?,
            element_id: if e {
                Some(f.string(3, "element_id")?)
            } else {
                None
            },
        })
    }

    /// Writes the node for the context.
    ///
    /// ```
    /// use bolt_proto::structure::{Node, StructCtx};
    /// let n = Node::default(); // no element id
    /// assert!(n.to_structure(StructCtx::new(bolt_proto::Version::V5_0)).is_err());
    /// ```
    pub fn to_structure(&self, ctx: StructCtx) -> Result<Structure, StructureError> {
        element_id_check("Node", ctx, self.element_id.is_some())?;
        let mut fields = vec![
            self.id.into(),
            Value::List(self.labels.iter().map(|l| l.as_str().into()).collect()),
            Value::Map(self.properties.clone()),
        ];
        if let Some(e) = &self.element_id {
            fields.push(e.as_str().into());
        }
        Ok(Structure::new(tag::NODE, fields))
    }
}

/// A relationship with its end points.
///
/// ```
/// use bolt_proto::structure::{Relationship, StructCtx};
/// let r = Relationship { id: 9, start_node_id: 1, end_node_id: 2, rel_type: "KNOWS".into(), ..Default::default() };
/// let raw = r.to_structure(StructCtx::new(bolt_proto::Version::V3_0)).unwrap();
/// assert_eq!((raw.tag, raw.fields.len()), (0x52, 5));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Relationship {
    /// Legacy numeric id.
    pub id: i64,
    /// Start node id.
    pub start_node_id: i64,
    /// End node id.
    pub end_node_id: i64,
    /// Relationship type.
    pub rel_type: String,
    /// Properties.
    pub properties: Map,
    /// Element ids (5.0+): own, start node, end node.
    pub element_ids: Option<RelationshipElementIds>,
}

/// The three element ids of a relationship (5.0+).
///
/// ```
/// let e = bolt_proto::structure::RelationshipElementIds::default();
/// assert!(e.element_id.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RelationshipElementIds {
    /// The relationship's own element id.
    pub element_id: String,
    /// The start node's element id.
    pub start_node_element_id: String,
    /// The end node's element id.
    pub end_node_element_id: String,
}

impl Relationship {
    /// Reads a relationship (tag 0x52) for the context.
    ///
    /// ```
    /// use bolt_proto::structure::{Relationship, StructCtx};
    /// let raw = packstream::Structure { tag: 0x52, fields: vec![] };
    /// assert!(Relationship::from_structure(&raw, StructCtx::new(bolt_proto::Version::V5_0)).is_err());
    /// ```
    pub fn from_structure(s: &Structure, ctx: StructCtx) -> Result<Relationship, StructureError> {
        let e = ctx.element_ids();
        let f = Fields::expect("Relationship", s, if e { 8 } else { 5 }, ctx.version)?;
        Ok(Relationship {
            id: f.int(0, "id")?,
            start_node_id: f.int(1, "start_node_id")?,
            end_node_id: f.int(2, "end_node_id")?,
            rel_type: f.string(3, "type")?,
            properties: f.map(4, "properties")?,
            element_ids: if e {
                Some(RelationshipElementIds {
                    element_id: f.string(5, "element_id")?,
                    start_node_element_id: f.string(6, "start_node_element_id")?,
                    end_node_element_id: f.string(7, "end_node_element_id")?,
                })
            } else {
                None
            },
        })
    }

    /// Writes the relationship for the context.
    ///
    /// ```
    /// use bolt_proto::structure::{Relationship, StructCtx};
    /// assert!(Relationship::default().to_structure(StructCtx::new(bolt_proto::Version::V4_0)).is_ok());
    /// ```
    pub fn to_structure(&self, ctx: StructCtx) -> Result<Structure, StructureError> {
        element_id_check("Relationship", ctx, self.element_ids.is_some())?;
        let mut fields = vec![
            self.id.into(),
            self.start_node_id.into(),
            self.end_node_id.into(),
            self.rel_type.as_str().into(),
            Value::Map(self.properties.clone()),
        ];
        if let Some(e) = &self.element_ids {
            fields.push(e.element_id.as_str().into());
            fields.push(e.start_node_element_id.as_str().into());
            fields.push(e.end_node_element_id.as_str().into());
        }
        Ok(Structure::new(tag::RELATIONSHIP, fields))
    }
}

/// A relationship inside a path, without end points.
///
/// ```
/// use bolt_proto::structure::{StructCtx, UnboundRelationship};
/// let r = UnboundRelationship { id: 3, rel_type: "R".into(), properties: Default::default(), element_id: Some("3".into()) };
/// assert_eq!(r.to_structure(StructCtx::new(bolt_proto::Version::V5_0)).unwrap().fields.len(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnboundRelationship {
    /// Legacy numeric id.
    pub id: i64,
    /// Relationship type.
    pub rel_type: String,
    /// Properties.
    pub properties: Map,
    /// Element id (5.0+).
    pub element_id: Option<String>,
}

impl UnboundRelationship {
    /// Reads an unbound relationship (tag 0x72) for the context.
    ///
    /// ```
    /// use bolt_proto::structure::{StructCtx, UnboundRelationship};
    /// let raw = packstream::Structure { tag: 0x72, fields: vec![1.into(), "R".into(), packstream::Map::new().into()] };
    /// assert!(UnboundRelationship::from_structure(&raw, StructCtx::new(bolt_proto::Version::V4_4)).is_ok());
    /// ```
    pub fn from_structure(
        s: &Structure,
        ctx: StructCtx,
    ) -> Result<UnboundRelationship, StructureError> {
        let e = ctx.element_ids();
        let f = Fields::expect("UnboundRelationship", s, if e { 4 } else { 3 }, ctx.version)?;
        Ok(UnboundRelationship {
            id: f.int(0, "id")?,
            rel_type: f.string(1, "type")?,
            properties: f.map(2, "properties")?,
            element_id: if e {
                Some(f.string(3, "element_id")?)
            } else {
                None
            },
        })
    }

    /// Writes the unbound relationship for the context.
    ///
    /// ```
    /// use bolt_proto::structure::{StructCtx, UnboundRelationship};
    /// assert!(UnboundRelationship::default().to_structure(StructCtx::new(bolt_proto::Version::V1)).is_ok());
    /// ```
    pub fn to_structure(&self, ctx: StructCtx) -> Result<Structure, StructureError> {
        element_id_check("UnboundRelationship", ctx, self.element_id.is_some())?;
        let mut fields = vec![
            self.id.into(),
            self.rel_type.as_str().into(),
            Value::Map(self.properties.clone()),
        ];
        if let Some(e) = &self.element_id {
            fields.push(e.as_str().into());
        }
        Ok(Structure::new(tag::UNBOUND_RELATIONSHIP, fields))
    }
}

/// A path: nodes, relationships and the index sequence linking them.
///
/// ```
/// use bolt_proto::structure::{Node, Path, StructCtx};
/// let p = Path { nodes: vec![Node::default()], relationships: vec![], indices: vec![] };
/// let ctx = StructCtx::new(bolt_proto::Version::V4_4);
/// assert_eq!(Path::from_structure(&p.to_structure(ctx).unwrap(), ctx).unwrap(), p);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Path {
    /// Distinct nodes.
    pub nodes: Vec<Node>,
    /// Distinct relationships.
    pub relationships: Vec<UnboundRelationship>,
    /// Alternating relationship (1-based, negative: traversed backwards) and
    /// node indices.
    pub indices: Vec<i64>,
}

impl Path {
    /// Reads a path (tag 0x50) for the context.
    ///
    /// ```
    /// use bolt_proto::structure::{Path, StructCtx};
    /// let raw = packstream::Structure { tag: 0x50, fields: vec![vec![1].into(), Vec::<i64>::new().into(), Vec::<i64>::new().into()] };
    /// assert!(Path::from_structure(&raw, StructCtx::new(bolt_proto::Version::V4_4)).is_err());
    /// ```
    pub fn from_structure(s: &Structure, ctx: StructCtx) -> Result<Path, StructureError> {
        let f = Fields::expect("Path", s, 3, ctx.version)?;
        let structs = |i, field| -> Result<Vec<&Structure>, StructureError> {
            f.list(i, field)?
                .iter()
                .map(|v| {
                    v.as_structure().ok_or(StructureError::FieldType {
                        structure: "Path",
                        field,
                        expected: "list of structures",
                        found: v.kind(),
                    })
                })
                .collect()
        };
        Ok(Path {
            nodes: structs(0, "nodes")?
                .into_iter()
                .map(|s| Node::from_structure(s, ctx))
                .collect::<Result<_, _>>()?,
            relationships: structs(1, "relationships")?
                .into_iter()
                .map(|s| UnboundRelationship::from_structure(s, ctx))
                .collect::<Result<_, _>>()?,
            indices: f.int_list(2, "indices")?,
        })
    }

    /// Writes the path for the context.
    ///
    /// ```
    /// use bolt_proto::structure::{Path, StructCtx};
    /// assert_eq!(Path::default().to_structure(StructCtx::new(bolt_proto::Version::V1)).unwrap().tag, 0x50);
    /// ```
    pub fn to_structure(&self, ctx: StructCtx) -> Result<Structure, StructureError> {
        let nodes = self
            .nodes
            .iter()
            .map(|n| n.to_structure(ctx).map(Value::Structure))
            .collect::<Result<Vec<_>, _>>()?;
        let rels = self
            .relationships
            .iter()
            .map(|r| r.to_structure(ctx).map(Value::Structure))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Structure::new(
            tag::PATH,
            vec![
                Value::List(nodes),
                Value::List(rels),
                Value::List(self.indices.iter().map(|&i| i.into()).collect()),
            ],
        ))
    }
}
