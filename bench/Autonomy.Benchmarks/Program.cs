using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Running;

// bash bench/core.sh [BenchmarkDotNet options, e.g. --filter *Policy*]; results in BenchmarkDotNet.Artifacts/results.
var config = DefaultConfig.Instance
    .AddColumn(StatisticColumn.Median)
    .AddExporter(JsonExporter.Brief);
BenchmarkSwitcher.FromAssembly(typeof(Autonomy.Benchmarks.CoreBenchmarks).Assembly).Run(args, config);
