using Autonomy.Simulator;

SimulationOptions options;
try
{
    options = SimulationOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var report = new Simulation(options).Run();
Directory.CreateDirectory(options.Out);
await File.WriteAllTextAsync(Path.Combine(options.Out, "report.json"), report.ToJson());
await File.WriteAllTextAsync(Path.Combine(options.Out, "report.html"), ReportPage.Render(report));
Console.WriteLine(report.Summary());
Console.WriteLine($"Wrote {Path.Combine(options.Out, "report.json")} and report.html");
return 0;
