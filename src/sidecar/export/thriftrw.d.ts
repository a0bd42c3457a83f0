/** thriftrw (jaeger-client's Thrift codec) ships no types; the Jaeger collector exporter uses its Thrift class only. */
declare module 'thriftrw' {
  const thriftrw: { Thrift: unknown };
  export default thriftrw;
}
