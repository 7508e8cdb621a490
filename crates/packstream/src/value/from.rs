//! `From` conversions into [`Value`].

use super::{Map, Structure, Value, ValueRef};

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            #[inline]
            fn from(v: $t) -> Value { Value::Integer(i64::from(v)) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<bool> for Value {
    #[inline]
    fn from(v: bool) -> Value {
        Value::Boolean(v)
    }
}
impl From<f32> for Value {
    #[inline]
    fn from(v: f32) -> Value {
        Value::Float(f64::from(v))
    }
}
impl From<f64> for Value {
    #[inline]
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}
impl From<&str> for Value {
    #[inline]
    fn from(v: &str) -> Value {
        Value::String(v.to_owned())
    }
}
impl From<String> for Value {
    #[inline]
    fn from(v: String) -> Value {
        Value::String(v)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}
impl From<Map> for Value {
    #[inline]
    fn from(v: Map) -> Value {
        Value::Map(v)
    }
}
impl From<Structure> for Value {
    #[inline]
    fn from(v: Structure) -> Value {
        Value::Structure(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    #[inline]
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<()> for Value {
    #[inline]
    fn from(_: ()) -> Value {
        Value::Null
    }
}
impl From<ValueRef<'_>> for Value {
    fn from(v: ValueRef<'_>) -> Value {
        v.into_owned_value()
    }
}
impl From<&ValueRef<'_>> for Value {
    fn from(v: &ValueRef<'_>) -> Value {
        v.to_owned_value()
    }
}
