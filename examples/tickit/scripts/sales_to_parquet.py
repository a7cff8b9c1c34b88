"""TICKIT sales (tab-delimited) to Parquet partitioned by sale month.

Run by the Glue job `tickit-sales-to-parquet-<env>` with `--source` and
`--target`; the crawler `tickit-sales-<env>` then registers new partitions.
"""
import sys

from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F
from pyspark.sql import types as T

args = getResolvedOptions(sys.argv, ["source", "target"])
spark = GlueContext(SparkContext.getOrCreate()).spark_session

schema = T.StructType([
    T.StructField("salesid", T.IntegerType()),
    T.StructField("listid", T.IntegerType()),
    T.StructField("sellerid", T.IntegerType()),
    T.StructField("buyerid", T.IntegerType()),
    T.StructField("eventid", T.IntegerType()),
    T.StructField("dateid", T.IntegerType()),
    T.StructField("qtysold", T.IntegerType()),
    T.StructField("pricepaid", T.DecimalType(8, 2)),
    T.StructField("commission", T.DecimalType(8, 2)),
    T.StructField("saletime", T.StringType()),
])

sales = (
    spark.read.csv(args["source"], sep="\t", schema=schema)
    .withColumn("saletime", F.to_timestamp("saletime", "M/d/yyyy HH:mm:ss"))
    .withColumn("sale_month", F.date_format("saletime", "yyyy-MM"))
)
# Overwrite only the months present, so a rerun replaces instead of duplicating.
spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
sales.write.mode("overwrite").partitionBy("sale_month").parquet(args["target"])
