import Foundation

/// The well-known type definitions (from protobuf's `src/google/protobuf`, BSD-3-Clause,
/// Copyright Google Inc.; comments and language options dropped). Debian's protobuf-compiler
/// ships protoc without them, so the compiler writes these where protoc can import them.
enum WellKnownProtos {
    static let files: [String: String] = [
        "any.proto": """
            syntax = "proto3";
            package google.protobuf;
            message Any {
              string type_url = 1;
              bytes value = 2;
            }
            """,
        "duration.proto": """
            syntax = "proto3";
            package google.protobuf;
            message Duration {
              int64 seconds = 1;
              int32 nanos = 2;
            }
            """,
        "empty.proto": """
            syntax = "proto3";
            package google.protobuf;
            message Empty {}
            """,
        "field_mask.proto": """
            syntax = "proto3";
            package google.protobuf;
            message FieldMask {
              repeated string paths = 1;
            }
            """,
        "struct.proto": """
            syntax = "proto3";
            package google.protobuf;
            message Struct {
              map<string, Value> fields = 1;
            }
            message Value {
              oneof kind {
                NullValue null_value = 1;
                double number_value = 2;
                string string_value = 3;
                bool bool_value = 4;
                Struct struct_value = 5;
                ListValue list_value = 6;
              }
            }
            enum NullValue {
              NULL_VALUE = 0;
            }
            message ListValue {
              repeated Value values = 1;
            }
            """,
        "timestamp.proto": """
            syntax = "proto3";
            package google.protobuf;
            message Timestamp {
              int64 seconds = 1;
              int32 nanos = 2;
            }
            """,
        "wrappers.proto": """
            syntax = "proto3";
            package google.protobuf;
            message DoubleValue { double value = 1; }
            message FloatValue { float value = 1; }
            message Int64Value { int64 value = 1; }
            message UInt64Value { uint64 value = 1; }
            message Int32Value { int32 value = 1; }
            message UInt32Value { uint32 value = 1; }
            message BoolValue { bool value = 1; }
            message StringValue { string value = 1; }
            message BytesValue { bytes value = 1; }
            """,
    ]

    /// Writes `google/protobuf/<name>.proto` under `root`.
    static func write(under root: URL) throws {
        let directory = root.appendingPathComponent("google/protobuf")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try Data((text + "\n").utf8).write(to: directory.appendingPathComponent(name))
        }
    }
}
