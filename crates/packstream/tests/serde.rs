//! serde round-trips and the serde data-model mapping.

use std::collections::{BTreeMap, HashMap};

use packstream::{
    decode, from_slice, from_value, to_value, to_vec, Error, Map, Structure, Value, ValueRef,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Person {
    id: i64,
    name: String,
    score: f64,
    tags: Vec<String>,
    active: bool,
    nick: Option<String>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Shape {
    Empty,
    Circle(f64),
    Rect(i32, i32),
    Named { name: String },
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Unit;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Meters(u32);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Borrowed<'a> {
    name: &'a str,
    #[serde(with = "serde_bytes")]
    raw: &'a [u8],
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Skips {
    a: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<i32>,
    #[serde(flatten)]
    rest: BTreeMap<String, i32>,
}

fn person() -> Person {
    Person {
        id: 42,
        name: "Ada".into(),
        score: 99.5,
        tags: vec!["x".into(), "y".into()],
        active: true,
        nick: None,
    }
}

#[test]
fn struct_is_a_map_in_field_order() {
    let bytes = to_vec(&person()).unwrap();
    let mut expected = Map::new();
    expected.insert("id", 42);
    expected.insert("name", "Ada");
    expected.insert("score", 99.5);
    expected.insert("tags", vec!["x", "y"]);
    expected.insert("active", true);
    expected.insert("nick", Value::Null);
    assert_eq!(bytes, Value::Map(expected).to_bytes().unwrap());
    assert_eq!(from_slice::<Person>(&bytes).unwrap(), person());
}

#[test]
fn data_model_bytes() {
    assert_eq!(to_vec(&()).unwrap(), [0xC0]);
    assert_eq!(to_vec(&Unit).unwrap(), [0xC0]);
    assert_eq!(to_vec(&Meters(5)).unwrap(), [0x05]);
    assert_eq!(to_vec(&Some(1u8)).unwrap(), [0x01]);
    assert_eq!(to_vec(&None::<u8>).unwrap(), [0xC0]);
    assert_eq!(
        to_vec(&(1, "a", true)).unwrap(),
        [0x93, 0x01, 0x81, b'a', 0xC3]
    );
    assert_eq!(to_vec(&'é').unwrap(), [0x82, 0xC3, 0xA9]);
    assert_eq!(
        to_vec(&1.5f32).unwrap(),
        Value::Float(1.5).to_bytes().unwrap()
    );
    assert_eq!(
        to_vec(&Shape::Empty).unwrap(),
        [0x85, b'E', b'm', b'p', b't', b'y']
    );
    assert_eq!(
        to_vec(&Shape::Rect(1, 2)).unwrap(),
        [0xA1, 0x84, b'R', b'e', b'c', b't', 0x92, 0x01, 0x02]
    );
    assert_eq!(
        to_vec(&serde_bytes::Bytes::new(&[1, 2])).unwrap(),
        [0xCC, 0x02, 0x01, 0x02]
    );
    assert_eq!(to_vec(&vec![1u8, 2]).unwrap(), [0x92, 0x01, 0x02]);
}

#[test]
fn round_trips() {
    fn rt<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(v: T) {
        let bytes = to_vec(&v).unwrap();
        assert_eq!(from_slice::<T>(&bytes).unwrap(), v, "bytes {bytes:x?}");
        assert_eq!(from_value::<T>(to_value(&v).unwrap()).unwrap(), v);
    }
    rt(person());
    rt(Shape::Empty);
    rt(Shape::Circle(1.5));
    rt(Shape::Rect(-1, 70000));
    rt(Shape::Named { name: "n".into() });
    rt(Unit);
    rt(Meters(7));
    rt((1u8, -2i16, 3u32, "s".to_string()));
    rt(vec![Some(1), None]);
    rt(i64::MIN);
    rt(i64::MAX as u64);
    rt(u8::MAX);
    rt('x');
    rt(HashMap::from([
        (1i32, "a".to_string()),
        (-5, "b".to_string()),
    ]));
    rt(BTreeMap::from([(true, 1)]));
    rt(serde_bytes::ByteBuf::from(vec![0u8; 300]));
    rt(Skips {
        a: 1,
        b: None,
        rest: BTreeMap::from([("x".to_string(), 2)]),
    });
    rt(Skips {
        a: 1,
        b: Some(3),
        rest: (0..20).map(|i| (format!("k{i}"), i)).collect(),
    });
}

#[test]
fn unknown_lengths_get_minimal_headers() {
    let v = Skips {
        a: 1,
        b: None,
        rest: BTreeMap::new(),
    };
    // flatten => serialize_map(None); one field skipped.
    assert_eq!(to_vec(&v).unwrap(), [0xA1, 0x81, b'a', 0x01]);
    let big = Skips {
        a: 1,
        b: None,
        rest: (0..20).map(|i| (format!("k{i:02}"), i)).collect(),
    };
    let bytes = to_vec(&big).unwrap();
    assert_eq!(&bytes[..2], &[0xD8, 21]);
    assert_eq!(decode(&bytes).unwrap().as_map().unwrap().len(), 21);
}

#[test]
fn borrowed_strings_and_bytes() {
    let bytes = to_vec(&Borrowed {
        name: "zero-copy",
        raw: &[9, 8, 7],
    })
    .unwrap();
    let b: Borrowed<'_> = from_slice(&bytes).unwrap();
    assert_eq!(b.name, "zero-copy");
    // The &str really points into the input buffer.
    let range = bytes.as_ptr_range();
    assert!(range.contains(&b.name.as_ptr()));
    assert!(range.contains(&b.raw.as_ptr()));
    let v: ValueRef<'_> = from_slice(&bytes).unwrap();
    assert_eq!(v.get("name"), Some(&ValueRef::String("zero-copy")));
}

#[test]
fn vec_u8_reads_bytes_or_list() {
    assert_eq!(
        from_slice::<Vec<u8>>(&[0xCC, 0x02, 5, 6]).unwrap(),
        vec![5, 6]
    );
    assert_eq!(from_slice::<Vec<u8>>(&[0x92, 5, 6]).unwrap(), vec![5, 6]);
}

#[test]
fn unrepresentable_values_are_errors() {
    assert!(matches!(
        to_vec(&(i64::MAX as u64 + 1)),
        Err(Error::IntegerOutOfRange { value, .. }) if value == i64::MAX as i128 + 1
    ));
    assert!(matches!(
        to_vec(&u64::MAX),
        Err(Error::IntegerOutOfRange { .. })
    ));
    assert!(matches!(
        to_vec(&u128::MAX),
        Err(Error::IntegerOutOfRange { .. })
    ));
    assert!(matches!(
        to_vec(&(i64::MIN as i128 - 1)),
        Err(Error::IntegerOutOfRange { .. })
    ));
    assert_eq!(
        to_vec(&(i64::MIN as i128)).unwrap(),
        to_vec(&i64::MIN).unwrap()
    );
    assert_eq!(to_vec(&(5u128)).unwrap(), [0x05]);
    assert!(matches!(
        to_vec(&HashMap::from([(vec![1], 1)])),
        Err(Error::Serde(_))
    ));
    // Integers are range-checked when deserializing.
    assert!(matches!(
        from_slice::<u8>(&[0xC9, 0x01, 0x00]),
        Err(Error::IntegerOutOfRange {
            value: 256,
            target: "u8"
        })
    ));
    assert!(matches!(
        from_slice::<u64>(&[0xFF]),
        Err(Error::IntegerOutOfRange { value: -1, .. })
    ));
    assert!(matches!(
        from_slice::<i32>(&[0x81, b'a']),
        Err(Error::UnexpectedType {
            expected: "integer",
            ..
        })
    ));
    // Wrong shapes are errors, not panics.
    assert!(from_slice::<(i32, i32)>(&[0x93, 1, 2, 3]).is_err());
    assert!(from_slice::<(i32, i32, i32)>(&[0x92, 1, 2]).is_err());
    assert!(from_slice::<Shape>(&[0xA2, 0x81, b'a', 1, 0x81, b'b', 2]).is_err());
    assert!(matches!(
        from_slice::<i32>(&[0x01, 0x02]),
        Err(Error::TrailingBytes { .. })
    ));
}

#[test]
fn value_serde_matches_native_codec() {
    let mut m = Map::new();
    m.insert(
        "s",
        Structure::new(0x4E, vec![1.into(), vec!["L"].into(), Map::new().into()]),
    );
    m.insert("b", Value::Bytes(vec![1, 2, 3]));
    m.insert("f", -0.25);
    m.insert("n", Value::Null);
    let v = Value::Map(m);
    let native = v.to_bytes().unwrap();
    assert_eq!(to_vec(&v).unwrap(), native);
    assert_eq!(from_slice::<Value>(&native).unwrap(), v);
    assert_eq!(to_value(&v).unwrap(), v);
    assert_eq!(from_value::<Value>(v.clone()).unwrap(), v);
    let r: ValueRef<'_> = from_slice(&native).unwrap();
    assert_eq!(r.to_owned_value(), v);
    assert_eq!(to_vec(&r).unwrap(), native);
}

#[test]
fn structure_via_serde_tuple() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename = "$packstream::Structure")]
    struct Node((u8, i64, Vec<String>, BTreeMap<String, i64>));

    let n = Node((
        0x4E,
        7,
        vec!["Person".into()],
        BTreeMap::from([("age".into(), 3)]),
    ));
    let bytes = to_vec(&n).unwrap();
    assert_eq!(&bytes[..3], &[0xB3, 0x4E, 0x07]);
    assert_eq!(from_slice::<Node>(&bytes).unwrap(), n);
    assert_eq!(
        decode(&bytes).unwrap(),
        Value::Structure(Structure::new(
            0x4E,
            vec![
                7.into(),
                vec!["Person"].into(),
                Value::Map([("age", 3)].into_iter().collect())
            ]
        ))
    );
    // Tag out of range, too many fields.
    #[derive(Serialize)]
    #[serde(rename = "$packstream::Structure")]
    struct BadTag((i32,));
    assert!(to_vec(&BadTag((256,))).is_err());
    #[derive(Serialize)]
    #[serde(rename = "$packstream::Structure")]
    struct TooMany(Vec<u8>);
    assert!(matches!(
        to_vec(&TooMany(vec![0; 17])),
        Err(Error::TooLarge { .. })
    ));
    assert_eq!(to_vec(&TooMany(vec![1; 16])).unwrap()[..2], [0xBF, 0x01]);
    // A structure where a map is expected is an error.
    assert!(from_slice::<BTreeMap<String, i32>>(&bytes).is_err());
}

#[test]
fn serde_depth_limit() {
    let deep = vec![0x91; 200];
    assert!(matches!(
        from_slice::<Value>(&deep),
        Err(Error::DepthLimitExceeded { .. })
    ));
    assert!(matches!(
        from_slice::<serde::de::IgnoredAny>(&deep),
        Err(Error::DepthLimitExceeded { .. })
    ));
}
