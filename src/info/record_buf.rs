//! The public face every growable-record buffer shares ([`FdBuf`],
//! [`ThreadBuf`]), written once: a macro that wraps [`Slots`] (the storage
//! and its grow-and-retry loop, `slots.rs`) in a named type with the same
//! constructors, accessors and documented examples. Each buffer's file
//! keeps what is its own: the record type and the buffer's description.
//!
//! [`FdBuf`]: crate::FdBuf
//! [`ThreadBuf`]: crate::ThreadBuf
//! [`Slots`]: crate::info::slots::Slots

/// `record_buf!(#[doc = ...] Name of Record, "records")`: a public buffer
/// `Name` of `Record`s with 32 of them inline; "records" names them in the
/// generated docs.
macro_rules! record_buf {
    ($(#[$meta:meta])* $name:ident of $record:ident, $noun:literal) => {
        $(#[$meta])*
        #[derive(Clone, Default)]
        pub struct $name {
            pub(crate) slots: $crate::info::slots::Slots<$record, 32>,
        }

        impl $name {
            #[doc = concat!("An empty buffer with inline room for 32 ", $noun, "; does not allocate.")]
            ///
            /// ```
            #[doc = concat!("assert!(pidquery::", stringify!($name), "::new().is_empty());")]
            /// ```
            pub fn new() -> $name {
                $name {
                    slots: $crate::info::slots::Slots::new(),
                }
            }

            #[doc = concat!("An empty buffer with room for `n` ", $noun, ".")]
            ///
            /// ```
            #[doc = concat!("assert!(pidquery::", stringify!($name), "::with_capacity(100).capacity() >= 100);")]
            /// ```
            pub fn with_capacity(n: usize) -> $name {
                $name {
                    slots: $crate::info::slots::Slots::with_capacity(n),
                }
            }

            /// The last answer (empty before the first and after an error).
            ///
            /// ```
            #[doc = concat!("assert_eq!(pidquery::", stringify!($name), "::new().as_slice(), &[]);")]
            /// ```
            #[inline]
            pub fn as_slice(&self) -> &[$record] {
                self.slots.as_slice()
            }

            #[doc = concat!("The number of ", $noun, " in the last answer.")]
            ///
            /// ```
            #[doc = concat!("assert_eq!(pidquery::", stringify!($name), "::new().len(), 0);")]
            /// ```
            #[inline]
            pub fn len(&self) -> usize {
                self.as_slice().len()
            }

            /// True when the last answer is empty.
            ///
            /// ```
            #[doc = concat!("assert!(pidquery::", stringify!($name), "::default().is_empty());")]
            /// ```
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.as_slice().is_empty()
            }

            #[doc = concat!("How many ", $noun, " fit without allocating.")]
            ///
            /// ```
            #[doc = concat!("assert_eq!(pidquery::", stringify!($name), "::new().capacity(), 32);")]
            /// ```
            #[inline]
            pub fn capacity(&self) -> usize {
                self.slots.capacity()
            }

            /// Empties the buffer and gives back heap memory beyond the inline room.
            ///
            /// ```
            #[doc = concat!("let mut buf = pidquery::", stringify!($name), "::with_capacity(1000);")]
            /// buf.shrink_to_fit();
            /// assert_eq!(buf.capacity(), 32);
            /// ```
            pub fn shrink_to_fit(&mut self) {
                self.slots.clear();
                self.slots.shrink_to_fit();
            }
        }

        impl core::ops::Deref for $name {
            type Target = [$record];

            fn deref(&self) -> &[$record] {
                self.as_slice()
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_list().entries(self.as_slice()).finish()
            }
        }
    };
}

pub(crate) use record_buf;
