# SPDX-License-Identifier: Apache-2.0
# Charts of docs/data/scale.csv (tools/bench-sweep.sh) for docs/benchmarks.md:
#   gnuplot -e "csv='docs/data/scale.csv'; out='docs/img'" tools/plots.gp    (make plots-render)
if (!exists("csv")) csv = 'docs/data/scale.csv'
if (!exists("out")) out = 'docs/img'
set datafile separator ','
set terminal pngcairo size 800,480 font 'sans,10' noenhanced
set key top left
set grid
set logscale x
set xlabel 'simulated agents'
set xtics (500, 1000, 2000, 5000, 10000, 20000, 50000)

set output out.'/scale-latency.png'
set title 'offer -> TASK_RUNNING, tasks arriving at a steady rate (ms, log scale)'
set logscale y
set ylabel 'ms'
plot csv using 1:6 skip 1 with linespoints title 'offer -> RUNNING p50', \
     csv using 1:7 skip 1 with linespoints title 'offer -> RUNNING p99', \
     csv using 1:8 skip 1 with linespoints title 'ACCEPT -> RUNNING p50', \
     csv using 1:9 skip 1 with linespoints title 'ACCEPT -> RUNNING p99', \
     50 with lines dashtype 2 title 'target p99 50 ms'
unset logscale y

set output out.'/scale-throughput.png'
set title 'tasks launched and finished per second (burst of 4 tasks per agent, steady part)'
set ylabel 'tasks/s'
set yrange [0:*]
plot csv using 1:11 skip 1 with linespoints title 'steady throughput'

set output out.'/scale-master.png'
set title 'master cost per agent'
set ylabel 'RSS KiB per agent'
set y2label 'idle CPU us/s per agent'
set y2tics
set ytics nomirror
plot csv using 1:3 skip 1 with linespoints title 'RSS per agent (KiB)' axes x1y1, \
     csv using 1:($4) skip 1 with linespoints title 'idle CPU per agent (us/s)' axes x1y2
