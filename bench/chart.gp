# chart.gp - bench/report.py's .dat as a bar chart (gnuplot -e
# "datafile='X.dat'; outfile='X.png'" chart.gp): per test, skbos↔kernel and
# skbos↔skbos relative to kernel↔kernel, turned so that higher is better
# for skbos (latency and CPU figures inverted); 1 = the kernel.  Log scale:
# twice as fast and twice as slow are the same distance from 1.
set terminal pngcairo size 1200,560 font "sans,10"
set output outfile
set title "skbos relative to the kernel's stack (kernel↔kernel = 1; above 1: skbos better; log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -35 scale 0 nomirror
set ytics nomirror
set grid ytics
set logscale y
set yrange [0.001:100]
set ytics ("0.001" 0.001, "0.003" 0.003, "0.01" 0.01, "0.03" 0.03, "0.1" 0.1, "0.3" 0.3, "1" 1, "3" 3, "10" 10, "30" 30, "100" 100)
set key top right
set datafile missing "nan"
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 dt 2 lc rgb "#444444"
plot datafile using 2:xtic(1) title "skbos↔kernel" lc rgb "#3b7dd8", \
     "" using 3 title "skbos↔skbos" lc rgb "#e07b39"
